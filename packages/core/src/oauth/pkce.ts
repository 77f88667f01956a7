import { base64url } from 'jose'

/** A PKCE (RFC 7636) pair: send the challenge in the authorization request, keep the verifier. */
export interface PkcePair {
  /** 43 base64url characters (256 random bits): keep it server-side until the callback. */
  codeVerifier: string
  /** `BASE64URL(SHA-256(codeVerifier))`, sent as `code_challenge`. */
  codeChallenge: string
  /** Always `S256`: `plain` offers no protection against a leaked authorization request. */
  codeChallengeMethod: 'S256'
}

/** `bytes` random bytes, base64url-encoded: state, nonce, PKCE verifier, `jti`. */
export function randomToken(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)))
}

/** `BASE64URL(SHA-256(ASCII(verifier)))` (RFC 7636 §4.2). */
export async function pkceChallenge(codeVerifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier))
  return base64url.encode(new Uint8Array(digest))
}

/** Creates a fresh S256 PKCE pair from 32 random bytes (a 43-character verifier). */
export async function createPkcePair(): Promise<PkcePair> {
  const codeVerifier = randomToken(32)
  return { codeVerifier, codeChallenge: await pkceChallenge(codeVerifier), codeChallengeMethod: 'S256' }
}

/** Compares two strings in time independent of where they differ (state, nonce). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a)
  const right = new TextEncoder().encode(b)
  let diff = left.length ^ right.length
  for (let i = 0; i < left.length; i++) diff |= (left[i] as number) ^ (right[i % right.length] ?? 0)
  return diff === 0
}
