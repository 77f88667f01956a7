/** Creating DPoP proofs (RFC 9449 §4): one fresh, signed JWT per HTTP request. */
import { base64url, SignJWT } from 'jose'
import { ConfigurationError } from '../errors.js'
import type { DPoPKey } from './dpop-key.js'

export interface DpopProofOptions {
  /** The request's HTTP method (`htm`), e.g. `POST`. */
  method: string
  /** The request's URL; `htu` is this URL without query and fragment (RFC 9449 §4.2). */
  url: string | URL
  /** The access token the request carries: its hash goes into `ath` (RFC 9449 §4.2). Default: none. */
  accessToken?: string
  /** The server's latest `DPoP-Nonce` (RFC 9449 §8, §9). Default: none. */
  nonce?: string
  /** Epoch milliseconds for `iat` (tests). Default: `Date.now()`. */
  now?: number
}

/** `htu`: the URL without query and fragment (RFC 9449 §4.2). */
export function dpopHtu(url: string | URL): string {
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch {
    throw new ConfigurationError('A DPoP proof needs an absolute request URL')
  }
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII (RFC 9449 §4.2). */
export async function dpopAth(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken))
  return base64url.encode(new Uint8Array(digest))
}

/**
 * A DPoP proof JWT: header `typ: dpop+jwt`, the key's `alg` and public `jwk`; claims `jti`
 * (128 random bits), `htm`, `htu`, `iat`, and `ath` with an access token, `nonce` when known.
 */
export async function createDpopProof(key: DPoPKey, options: DpopProofOptions): Promise<string> {
  const { method, accessToken, nonce } = options
  if (typeof method !== 'string' || !/^[!#$%&'*+.^_`|~\w-]+$/.test(method)) {
    throw new ConfigurationError('A DPoP proof needs the request "method"')
  }
  const claims: Record<string, string> = {
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    // As sent: fetch upper-cases only the standard methods, and servers compare exactly.
    htm: method,
    htu: dpopHtu(options.url),
  }
  if (accessToken !== undefined) claims['ath'] = await dpopAth(accessToken)
  if (nonce !== undefined) claims['nonce'] = nonce
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: { ...key.publicJwk } })
    .setIssuedAt(Math.floor((options.now ?? Date.now()) / 1000))
    .sign(key.privateKey)
}
