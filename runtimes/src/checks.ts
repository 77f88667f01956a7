// Runs inside Bun, Deno and workerd, bundled with the core's default entry (src/bundle.ts). Only
// Web APIs and the core are used here: whatever Node-ness a runtime has must come through the
// core's own probe (`process.getBuiltinModule`), never through this file.
import {
  authErrorResponse,
  createTokenVerifier,
  extractBearerToken,
  isAuthError,
  type TokenVerifier,
} from '@org/auth-core'
import {
  ALGORITHMS,
  type Algorithm,
  type CheckInput,
  type Outcome,
  type RuntimeReport,
  type SignaturePath,
} from './report.js'

interface Runtimes {
  Bun?: { version: string }
  Deno?: { version: { deno: string } }
  navigator?: { userAgent?: string }
  process?: { getBuiltinModule?: (id: string) => unknown }
}

type Verify = (...args: unknown[]) => unknown
interface Counts {
  node: number
  subtle: number
}

const runtimes = globalThis as unknown as Runtimes

function whereAmI(): { runtime: string; version: string } {
  if (runtimes.Bun !== undefined) return { runtime: 'bun', version: runtimes.Bun.version }
  if (runtimes.Deno !== undefined) return { runtime: 'deno', version: runtimes.Deno.version.deno }
  // workerd tells no version to the Worker; the test reads it from the binary.
  if (runtimes.navigator?.userAgent === 'Cloudflare-Workers') return { runtime: 'workerd', version: '' }
  return { runtime: 'unknown', version: runtimes.navigator?.userAgent ?? '' }
}

/** The `node:crypto` the runtime lends without an import, looked up exactly as the core does. */
function lentCrypto(): { verify?: unknown; KeyObject?: { from?: unknown } } | undefined {
  const lend = runtimes.process?.getBuiltinModule
  if (typeof lend !== 'function') return undefined
  return lend('node:crypto') as { verify?: unknown; KeyObject?: { from?: unknown } } | undefined
}

/**
 * Counts calls to both signature primitives. The core keeps the lent module object and calls
 * `verify` on it, and jose calls `crypto.subtle.verify`: replacing the methods on those very
 * objects is seen by both, so the counts say which path really ran, not which one should have.
 */
function countSignatureChecks(): Counts {
  const counts: Counts = { node: 0, subtle: 0 }
  const nodeCrypto = lentCrypto() as { verify?: Verify } | undefined
  const nodeVerify = nodeCrypto?.verify
  if (nodeCrypto !== undefined && typeof nodeVerify === 'function') {
    nodeCrypto.verify = function (this: unknown, ...args: unknown[]) {
      counts.node += 1
      return nodeVerify.apply(this, args)
    }
  }
  const subtle = crypto.subtle as unknown as { verify: Verify }
  const subtleVerify = subtle.verify
  subtle.verify = function (this: unknown, ...args: unknown[]) {
    counts.subtle += 1
    return subtleVerify.apply(this, args)
  }
  return counts
}

function pathTaken(before: Counts, after: Counts): SignaturePath {
  const node = after.node > before.node
  const subtle = after.subtle > before.subtle
  if (node && subtle) return 'both'
  if (node) return 'node:crypto'
  return subtle ? 'webcrypto' : 'none'
}

async function outcome(verifier: TokenVerifier, token: string, counts: Counts): Promise<Outcome> {
  const before = { ...counts }
  try {
    const claims = await verifier.verify(token)
    return { sub: claims.sub, iss: claims.iss, aud: claims.aud, path: pathTaken(before, counts) }
  } catch (error) {
    // Anything but an AuthError is a bug in the core or this script: let it fail the run.
    if (!isAuthError(error)) throw error
    return { code: error.code, status: error.status, path: pathTaken(before, counts) }
  }
}

async function perAlgorithm(
  tokens: Record<Algorithm, string>,
  check: (token: string) => Promise<Outcome>,
): Promise<Record<Algorithm, Outcome>> {
  const outcomes: Partial<Record<Algorithm, Outcome>> = {}
  // One at a time: the call counts around each verification must not mix.
  for (const alg of ALGORITHMS) outcomes[alg] = await check(tokens[alg])
  return outcomes as Record<Algorithm, Outcome>
}

async function missingToken(): Promise<RuntimeReport['missingToken']> {
  const request = new Request('https://api.example/resource')
  try {
    extractBearerToken(request.headers.get('authorization'))
  } catch (error) {
    if (!isAuthError(error)) throw error
    const response = authErrorResponse(error)
    return {
      code: error.code,
      status: response.status,
      wwwAuthenticate: response.headers.get('www-authenticate'),
      body: await response.json(),
    }
  }
  return { status: 200, wwwAuthenticate: null, body: null }
}

/** Everything the test asserts, in one JSON-safe report. */
export async function runChecks(input: CheckInput): Promise<RuntimeReport> {
  const lent = lentCrypto()
  const counts = countSignatureChecks()
  const verifier = createTokenVerifier({
    issuer: input.issuer,
    audience: input.audience,
    jwks: input.jwksUrl,
    tokenType: 'access',
    // Every check below must reach the signature: no verified-token cache.
    cache: false,
  })
  // Each key's signature check is made (and probed once) on its first use: do that here, so the
  // counts below show the path every later request takes.
  for (const alg of ALGORITHMS) await verifier.verify(input.valid[alg]).catch(() => undefined)
  const check = (token: string) => outcome(verifier, token, counts)
  const valid = await perAlgorithm(input.valid, check)
  const tampered = await perAlgorithm(input.tampered, check)
  const { algNone, algNoneUnsigned, wrongAudience, unknownKid } = input.refused
  return {
    ...whereAmI(),
    lent: {
      getBuiltinModule: typeof runtimes.process?.getBuiltinModule === 'function',
      cryptoVerify: typeof lent?.verify === 'function',
      keyObjectFrom: typeof lent?.KeyObject?.from === 'function',
    },
    valid,
    tampered,
    refused: {
      algNone: await check(algNone),
      algNoneUnsigned: await check(algNoneUnsigned),
      wrongAudience: await check(wrongAudience),
      unknownKid: await check(unknownKid),
    },
    missingToken: await missingToken(),
  }
}
