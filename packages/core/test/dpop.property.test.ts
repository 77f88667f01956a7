import {
  b64,
  b64ish,
  b64urlSegment,
  expectClientError,
  headerValue,
  oddJson,
  RUNS,
} from '@org/test-kit/arbitraries'
import { type DpopKey, dpopKey, proof } from '@org/test-kit/dpop'
import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthError,
  authenticate,
  createTokenVerifier,
  describeAuthError,
  type TokenVerifier,
} from '../src/index.js'

// Whatever arrives in the DPoP header (or after `Authorization: DPoP`), the answer is a typed
// 4xx with the DPoP challenge: never a 500, never an acceptance, never the input echoed.
const URL_ = 'https://api.example.test/things'
let issuerKey: TestKey
let client: DpopKey
let verifier: TokenVerifier
let token: string
beforeAll(async () => {
  issuerKey = await makeKey('ES256')
  client = await dpopKey('ES256')
  verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [issuerKey.publicJwk] },
  })
  token = await sign(issuerKey, { cnf: { jkt: client.jkt } })
})

const CODES = new Set([
  'ERR_DPOP_PROOF_INVALID',
  'ERR_DPOP_BINDING_MISMATCH',
  'ERR_BEARER_MALFORMED',
  'ERR_JWT_MALFORMED',
  'ERR_JWT_SIGNATURE_INVALID',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWT_ALG_NOT_ALLOWED',
  'ERR_JWT_TYPE_INVALID',
])

/** Proof-shaped values: three segments of JSON-ish headers and payloads, some near-valid. */
const proofish = fc.oneof(
  headerValue,
  b64ish,
  fc.tuple(b64urlSegment, b64urlSegment, b64urlSegment).map(([h, p, s]) => `${h}.${p}.${s}`),
  fc
    .tuple(oddJson, oddJson, b64urlSegment)
    .map(([h, p, s]) => `${b64(JSON.stringify(h) ?? 'null')}.${b64(JSON.stringify(p) ?? 'null')}.${s}`),
  fc
    .record({
      alg: fc.constantFrom('ES256', 'none', 'HS256', 'RS256', 'EdDSA', 'es256', ''),
      typ: fc.constantFrom('dpop+jwt', 'DPOP+JWT', 'JWT', 'at+jwt', undefined),
      jwk: fc.oneof(
        oddJson,
        fc.constant({ kty: 'oct', k: 'AAAA' }),
        fc.constant({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }),
        fc.constant({ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' }),
      ),
    })
    .chain((header) =>
      fc
        .record({
          htm: fc.constantFrom('GET', 'get', 'POST'),
          htu: fc.constantFrom(URL_, 'x', ''),
          iat: oddJson,
          jti: oddJson,
        })
        .map((claims) => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}.c2ln`),
    ),
)

async function refusedWith(input: { authorization: string; dpop?: string | string[] }): Promise<AuthError> {
  try {
    await authenticate(verifier, { ...input, method: 'GET', url: URL_ })
  } catch (error) {
    return expectClientError<AuthError>(error)
  }
  throw new Error('accepted')
}

describe('arbitrary DPoP input', () => {
  it('an arbitrary DPoP header with a bound token: a typed 401 with the DPoP challenge', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(proofish, fc.array(proofish, { minLength: 2, maxLength: 3 })),
        async (dpop) => {
          const error = await refusedWith({ authorization: `DPoP ${token}`, dpop })
          expect(CODES.has(error.code)).toBe(true)
          const parts = describeAuthError(error)
          expect(parts.status).toBe(401)
          expect(parts.headers['www-authenticate']).toMatch(
            /^Bearer, DPoP error="(invalid_dpop_proof|invalid_token)"/,
          )
          for (const value of [dpop].flat()) {
            if (value.length >= 12) expect(JSON.stringify(parts)).not.toContain(value)
          }
        },
      ),
      { numRuns: RUNS.fast },
    )
  })

  it('an arbitrary token after "DPoP" with a valid-looking proof: a typed 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(b64ish, headerValue, b64urlSegment), async (junk) => {
        const dpop = await proof(client, { htm: 'GET', htu: URL_, accessToken: junk })
        const error = await refusedWith({ authorization: `DPoP ${junk}`, dpop })
        expect(CODES.has(error.code) || error.code === 'ERR_BEARER_MISSING').toBe(true)
        expect(describeAuthError(error).status).toBeLessThan(500)
      }),
      { numRuns: RUNS.io },
    )
  })
})
