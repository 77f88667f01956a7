import { MalformedAuthorizationError, MissingTokenError } from './errors.js'

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Extracts the token from an `Authorization` header value (RFC 6750 §2.1).
 *
 * - The scheme is matched case-insensitively (`bearer`, `BEARER`), followed by exactly one space.
 * - Exactly one token of b64token characters; anything else is `invalid_request` (400).
 * - `undefined`/`null` (no header) throws {@link MissingTokenError} (401 without an error code).
 * - Several header values (an array of two or more, as Node's `headersDistinct` gives) are
 *   rejected: which one would be authoritative is ambiguous.
 */
export function extractBearerToken(headerValue: string | readonly string[] | null | undefined): string {
  return checkTokenCharacters(splitBearer(headerValue))
}

/**
 * The scheme and shape half of {@link extractBearerToken}, without the per-character scan:
 * callers that find the result among already-verified tokens may skip that scan, since a
 * verified token is made of base64url characters. Anything else must go through
 * {@link checkTokenCharacters} before use.
 */
export function splitBearer(headerValue: string | readonly string[] | null | undefined): string {
  let value = headerValue
  if (typeof value !== 'string') {
    if (value === undefined || value === null || value.length === 0) throw new MissingTokenError()
    if (value.length > 1) throw new MalformedAuthorizationError('Only one Authorization header is allowed')
    value = value[0] as string
  }
  if (value.length === 0) throw new MalformedAuthorizationError('The Authorization header is empty')
  // The fast path: one comparison for the common exact spelling.
  return value.startsWith('Bearer ') ? value.slice(7) : withScheme(value)
}

/** Refuses a token with characters outside RFC 6750 b64token (spaces, commas, quotes…). */
export function checkTokenCharacters(token: string): string {
  if (!B64TOKEN.test(token)) {
    throw new MalformedAuthorizationError('The Authorization header must be "Bearer" followed by one token')
  }
  return token
}

function withScheme(value: string): string {
  if (value.length > 7 && value.slice(0, 7).toLowerCase() === 'bearer ') return value.slice(7)
  throw new MalformedAuthorizationError('The Authorization header must use the Bearer scheme')
}
