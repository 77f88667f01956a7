/**
 * DPoP proofs (RFC 9449) for tests: `proof()` signs one with any header or claim overridden, so
 * hostile suites can bend each check; `dpopKey()` is the client's key pair and its thumbprint.
 */
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export interface DpopKey {
  alg: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: JWK
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  jkt: string
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return { alg, privateKey, publicKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') }
}

/** base64url(SHA-256(token)): the `ath` of a proof sent with `token`. */
export async function ath(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return base64url.encode(new Uint8Array(digest))
}

export interface ProofInput {
  htm: string
  htu: string
  /** The access token the proof goes with (sets `ath`). */
  accessToken?: string
  /** Claims added or overridden (`iat`, `jti`, `nonce`, `ath`...); `undefined` removes one. */
  claims?: Record<string, unknown>
  /** Header parameters added or overridden (`typ`, `jwk`, `alg`...); `undefined` removes one. */
  header?: Record<string, unknown>
}

/** A DPoP proof signed by `key`: valid for `htm`/`htu` (and the token) unless overridden. */
export async function proof(key: DpopKey, input: ProofInput): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: input.htm,
    htu: input.htu,
    iat: Math.floor(Date.now() / 1000),
    jti: crypto.randomUUID(),
    ...(input.accessToken === undefined ? {} : { ath: await ath(input.accessToken) }),
    ...input.claims,
  }
  const header: Record<string, unknown> = {
    alg: key.alg,
    typ: 'dpop+jwt',
    jwk: key.publicJwk,
    ...input.header,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name]
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}
