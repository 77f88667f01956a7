/**
 * Shared set-up of the DPoP suites: an issuer key, two client keys, a verifier with any `dpop`
 * option, bound tokens, and `refusal()`: what an adapter would answer (status, headers, code).
 */
import { type DpopKey, dpopKey } from '@org/test-kit/dpop'
import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { base64url } from 'jose'
import { expect } from 'vitest'
import {
  authenticate,
  type BearerRequest,
  type BearerVerifier,
  createTokenVerifier,
  type DpopOptions,
  describeAuthError,
  isAuthError,
} from '../../src/index.js'

export const URL_ = 'https://api.example.test/orders/1'
export const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'
/** The challenge of a DPoP refusal in mode `allowed`: error on the DPoP challenge, beside a bare Bearer one. */
export const DPOP_CHALLENGE = (error: string) =>
  new RegExp(`^Bearer, DPoP error="${error}", error_description="[^"]+", algs="${ALGS}"$`)

export interface DpopFixture {
  issuerKey: TestKey
  client: DpopKey
  other: DpopKey
}

export async function dpopFixture(): Promise<DpopFixture> {
  return { issuerKey: await makeKey('ES256'), client: await dpopKey('ES256'), other: await dpopKey('ES256') }
}

export function verifierFor(issuerKey: TestKey, dpop?: DpopOptions) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [issuerKey.publicJwk] },
    dpop,
  })
}

export const boundTokenFor = (issuerKey: TestKey, jkt: string) => sign(issuerKey, { cnf: { jkt } })

export const b64json = (value: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(value)))

export function request(
  authorization: string,
  dpop?: string | string[],
  method = 'GET',
  url = URL_,
): BearerRequest {
  return { authorization, dpop, method, url }
}

/** What an adapter would answer: status and headers, never a 500. */
export async function refusal(v: BearerVerifier, input: BearerRequest) {
  try {
    await authenticate(v, input)
  } catch (error) {
    if (!isAuthError(error)) throw error
    const parts = describeAuthError(error)
    expect(parts.status).toBeLessThan(500)
    return { code: error.code, ...parts }
  }
  throw new Error('accepted')
}
