import { constantTimeEqual } from '../constant-time.js'

// The largest multiple of 10^6 below 2^32: values at or above it are drawn again, so that every
// six-digit code is exactly as likely (no modulo bias).
const LIMIT = 4_294_000_000

/** A uniformly random six-digit code from the platform CSPRNG. */
export function generateOtp(): string {
  const buffer = new Uint32Array(1)
  for (;;) {
    const value = crypto.getRandomValues(buffer)[0] as number
    if (value < LIMIT) return String(value % 1_000_000).padStart(6, '0')
  }
}

const encoder = new TextEncoder()

/**
 * What the store keeps instead of a code: SHA-256 of the session id and the code, base64url. It
 * keeps codes out of store dumps and logs; with a million possible codes it is no defence
 * against someone who reads the store, which is what expiry and attempt limits are for.
 */
export async function codeDigest(sessionId: string, code: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(`${sessionId}:${code}`)))
  let binary = ''
  for (const byte of digest) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Compares two digests in constant time. */
export function digestsEqual(a: string, b: string): boolean {
  return constantTimeEqual(encoder.encode(a), encoder.encode(b))
}
