/**
 * Compact JWS/JWE parsing on hostile input: the token decoder and the verifier on arbitrary
 * strings and on structured mutations of valid tokens (header fields of odd types, payloads
 * re-signed with the real key so that claim checks see them, shuffled segments, alphabet edges),
 * and the delegation envelopes. Every refusal is a typed 401 with a stable code, never a crash,
 * never the token in the message.
 */

import {
  b64,
  b64ish,
  b64urlSegment,
  deepJson,
  duplicateKeyJson,
  expectClientError,
  expectNoLeak,
  oddJson,
  RUNS,
} from '@org/test-kit/arbitraries'
import { AUDIENCE, ISSUER, makeKey, nowSeconds, sign, type TestKey } from '@org/test-kit/keys'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type DelegationKey,
  decryptEnvelope,
  importDelegationKey,
  peekEnvelope,
  REQUEST_TYPE,
  sealEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../src/delegation/index.js'
import { createTokenVerifier, type TokenVerifier } from '../src/index.js'
import { decodeHeader, decodePayload, splitCompact } from '../src/jwt/decode.js'

const encoder = new TextEncoder()
let rsa: TestKey
let ec: TestKey
let verifier: TokenVerifier
let valid: string[]

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1')
  ec = await makeKey('ES256', 'ec-1')
  verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [rsa.publicJwk, ec.publicJwk] },
    cache: false,
  })
  valid = [await sign(rsa), await sign(ec)]
})

/** Signs raw header and payload texts with the real RSA key: the signature is valid, the rest is not. */
async function resign(headerText: string, payloadText: string): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`
  const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', rsa.privateKey, encoder.encode(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

/** The verifier's outcome: claims, or a typed 401 (checked here). */
async function outcome(token: string, target: TokenVerifier = verifier): Promise<'ok' | string> {
  try {
    const claims = await target.verify(token)
    expect(Object.isFrozen(claims)).toBe(true)
    expect(claims.iss).toBe(ISSUER)
    expect(typeof claims.exp).toBe('number')
    return 'ok'
  } catch (error) {
    const authError = expectClientError(error, (status) => status === 401)
    expect(authError.oauthError).toBe('invalid_token')
    if (typeof token === 'string') expectNoLeak(authError.message, token, ...token.split('.'))
    return authError.code
  }
}

const HEADER_FIELDS = ['alg', 'kid', 'typ', 'crit', 'b64', 'jwk', 'jku', 'x5c', 'cty', 'zip', 'enc']
const CLAIMS = ['iss', 'aud', 'sub', 'exp', 'nbf', 'iat', 'scope', 'scp', 'client_id', 'cnf']

/** A protected header: the usual one with some fields replaced by odd values or removed. */
const mutatedHeader = fc
  .dictionary(fc.constantFrom(...HEADER_FIELDS), fc.option(oddJson, { nil: undefined }), { maxKeys: 4 })
  .map((changes) => ({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt', ...changes }))

function claims(): Record<string, unknown> {
  const now = nowSeconds()
  return { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 300 }
}

describe('splitCompact / decodeHeader / decodePayload on arbitrary strings', () => {
  it('either decode or throw ERR_JWT_* (401), whatever the segments hold', () => {
    const segment = fc.oneof(
      b64urlSegment,
      b64ish,
      oddJson.map((value) => b64(JSON.stringify(value) ?? '')),
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')),
        ),
        (token) => {
          try {
            const [header, payload] = splitCompact(token, 8192)
            decodeHeader(header)
            decodePayload(payload)
          } catch (error) {
            expectClientError(error, (status) => status === 401)
          }
        },
      ),
      { numRuns: RUNS.fast * 3 },
    )
  })

  it('reads a header whose alg/kid/typ/crit/b64 have odd types as typed refusals only', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedHeader.map((h) => JSON.stringify(h)),
          duplicateKeyJson,
          deepJson,
        ),
        (text) => {
          try {
            const header = decodeHeader(b64(text))
            // What the verifier goes on to use is what it checked.
            expect(typeof header.alg).toBe('string')
            expect(header.alg.toLowerCase()).not.toBe('none')
            expect(header.kid === undefined || typeof header.kid === 'string').toBe(true)
            expect(header.typ === undefined || typeof header.typ === 'string').toBe(true)
            expect(header['crit']).toBeUndefined()
            expect(header['b64']).toBeUndefined()
            for (const name of ['jwk', 'jku', 'x5c']) expect(header[name]).toBeUndefined()
          } catch (error) {
            expectClientError(error, (status) => status === 401)
          }
        },
      ),
      { numRuns: RUNS.fast },
    )
  })
})

describe('createTokenVerifier().verify on hostile tokens', () => {
  it('refuses arbitrary strings with a typed 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.tuple(b64urlSegment, b64urlSegment, b64urlSegment).map((parts) => parts.join('.')),
          fc.string({ minLength: 8193, maxLength: 9000 }),
        ),
        async (token) => {
          expect(await outcome(token)).not.toBe('ok')
        },
      ),
      { numRuns: RUNS.fast },
    )
  })

  it('refuses non-string tokens (callers outside TypeScript) with a typed 401', async () => {
    await fc.assert(
      fc.asyncProperty(oddJson, async (value) => {
        if (typeof value === 'string') return
        expect(await outcome(value as string)).toBe('ERR_JWT_MALFORMED')
      }),
      { numRuns: RUNS.io },
    )
  })

  it('refuses mutations of valid tokens: shuffled, truncated, spliced, alphabet edges', async () => {
    const mutation = fc.oneof(
      fc.constant((t: string) => t.split('.').reverse().join('.')),
      fc.constant((t: string) => {
        const [h, p, s] = t.split('.')
        return `${p}.${h}.${s}`
      }),
      fc.constant((t: string) => `${t}.`),
      fc.constant((t: string) => `.${t}`),
      fc.constant((t: string) => t.replace('.', '..')),
      fc.nat().map((n) => (t: string) => t.slice(0, n % t.length)),
      fc.tuple(fc.nat(), fc.constantFrom('+', '/', '=', '-', '_', '.', ' ', '%3D', '\u00e9', 'A', '==')).map(
        ([n, char]) =>
          (t: string) =>
            `${t.slice(0, n % t.length)}${char}${t.slice(n % t.length)}`,
      ),
      fc.nat().map((n) => (t: string) => {
        // Flip one character of the signature: still base64url, no longer the signature.
        const i = t.lastIndexOf('.') + 1 + (n % (t.length - t.lastIndexOf('.') - 1))
        return `${t.slice(0, i)}${t[i] === 'A' ? 'B' : 'A'}${t.slice(i + 1)}`
      }),
      fc.constant((t: string) => {
        // The signature of the other key's token: a valid signature, over other bytes.
        const [h, p] = t.split('.')
        const other = valid.find((v) => v !== t) as string
        return `${h}.${p}.${other.split('.')[2]}`
      }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0, 1),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (i, fs) => {
          const original = valid[i] as string
          const token = fs.reduce((t, f) => f(t), original)
          const result = await outcome(token)
          if (result === 'ok') {
            // Only a mutation that decodes to the very same bytes may pass (e.g. none at all).
            expect(token).toBe(original)
          }
        },
      ),
      { numRuns: RUNS.io * 2 },
    )
  })

  it('headers with odd alg/kid/typ/crit/b64, duplicate keys or deep nesting, validly signed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          mutatedHeader.map((h) => JSON.stringify(h)),
          duplicateKeyJson,
          deepJson,
        ),
        async (headerText) => {
          const result = await outcome(await resign(headerText, JSON.stringify(claims())))
          if (result === 'ok') {
            const header = JSON.parse(headerText) as Record<string, unknown>
            expect(header['alg']).toBe('RS256')
            expect(header['crit']).toBeUndefined()
            expect(header['b64']).toBeUndefined()
          }
        },
      ),
      { numRuns: RUNS.io },
    )
  })

  it('payloads with odd claim types, huge numbers, duplicate keys or deep nesting, validly signed', async () => {
    const payloadText = fc.oneof(
      fc
        .dictionary(fc.constantFrom(...CLAIMS), oddJson, { maxKeys: 3 })
        .map((changes) => JSON.stringify({ ...claims(), ...changes })),
      oddJson.map((value) => JSON.stringify(value) ?? 'null'),
      duplicateKeyJson,
      deepJson,
      fc.string({ maxLength: 30 }),
    )
    await fc.assert(
      fc.asyncProperty(payloadText, async (text) => {
        const result = await outcome(
          await resign(JSON.stringify({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' }), text),
        )
        if (result === 'ok') {
          const parsed = JSON.parse(text) as Record<string, unknown>
          expect(parsed['iss']).toBe(ISSUER)
          expect(typeof parsed['exp']).toBe('number')
          expect(parsed['exp'] as number).toBeGreaterThan(nowSeconds() - 10)
        }
      }),
      { numRuns: RUNS.io },
    )
  })
})

describe('delegation envelopes on hostile input', () => {
  let signer: DelegationKey
  let verifyKey: DelegationKey
  let recipient: DelegationKey
  let decryptKey: DelegationKey
  let sealed: string
  let signed: string

  beforeAll(async () => {
    const { exportPKCS8, exportSPKI, generateKeyPair } = await import('jose')
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const x = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
    signer = await importDelegationKey(await exportPKCS8(ed.privateKey), 'sign', 'k')
    verifyKey = await importDelegationKey(await exportSPKI(ed.publicKey), 'verify', 'k')
    recipient = await importDelegationKey(await exportSPKI(x.publicKey), 'encrypt', 'r')
    decryptKey = await importDelegationKey(await exportPKCS8(x.privateKey), 'decrypt', 'r')
    signed = await signEnvelope({ jti: 'j', hello: 'world' }, REQUEST_TYPE, signer)
    sealed = await sealEnvelope({ jti: 'j', hello: 'world' }, REQUEST_TYPE, signer, recipient)
  })

  /** Each layer's outcome: its value, or a DelegationProtocolError (an AuthError) with a code. */
  async function layer<T>(run: () => Promise<T>, input: string): Promise<T | undefined> {
    try {
      return await run()
    } catch (error) {
      const authError = expectClientError(error, () => true)
      expect(authError.code).toMatch(/^ERR_DELEGATION_/)
      expectNoLeak(authError.message, input)
      return undefined
    }
  }

  const edgeHeader = fc
    .dictionary(
      fc.constantFrom('alg', 'enc', 'kid', 'epk', 'cty', 'crit', 'jwk', 'zip', 'p2s', 'typ', '__proto__'),
      oddJson,
      { maxKeys: 4 },
    )
    .map((changes) => JSON.stringify(changes))

  it('decryptEnvelope: arbitrary strings, five-segment shapes and odd JWE headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(fc.oneof(b64urlSegment, b64ish), { minLength: 5, maxLength: 5 }).map((p) => p.join('.')),
          fc
            .tuple(fc.oneof(edgeHeader, duplicateKeyJson), fc.constant(sealed))
            .map(([header, jwe]) => [b64(header), ...jwe.split('.').slice(1)].join('.')),
          fc.nat().map((n) => {
            const i = n % sealed.length
            return `${sealed.slice(0, i)}${sealed[i] === 'A' ? 'B' : 'A'}${sealed.slice(i + 1)}`
          }),
        ),
        async (jwe) => {
          const jws = await layer(() => decryptEnvelope(jwe, [decryptKey]), jwe)
          if (jws !== undefined) await layer(() => verifyEnvelope(jws, REQUEST_TYPE, [verifyKey]), jws)
        },
      ),
      { numRuns: RUNS.io },
    )
  })

  it('verifyEnvelope / peekEnvelope: arbitrary strings and odd JWS headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.array(fc.oneof(b64urlSegment, b64ish), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
          fc
            .tuple(fc.oneof(edgeHeader, duplicateKeyJson, deepJson), oddJson)
            .map(
              ([header, payload]) =>
                `${b64(header)}.${b64(JSON.stringify(payload) ?? '')}.${signed.split('.')[2]}`,
            ),
        ),
        async (jws) => {
          const peeked = peekEnvelope(jws)
          expect(peeked === undefined || typeof peeked.header === 'object').toBe(true)
          const payload = await layer(() => verifyEnvelope(jws, REQUEST_TYPE, [verifyKey]), jws)
          if (payload !== undefined) expect(jws).toBe(signed)
        },
      ),
      { numRuns: RUNS.io },
    )
  })
})
