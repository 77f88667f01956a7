import { JWTVerificationError } from '../errors.js'
import { decodeCheckedBase64url } from '../lib/node-runtime.js'
import type { JWTClaims } from './claims.js'

/** The protected header fields this toolkit reads. Others are kept but ignored. */
export interface JWTHeader {
  alg: string
  kid?: string
  typ?: string
  [parameter: string]: unknown
}

const SEGMENT = /^[A-Za-z0-9_-]+$/
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const MAX_KID_LENGTH = 256
// Header parameters that would let the token choose its own key: never honoured, always refused.
const KEY_CARRYING_PARAMETERS = ['jwk', 'jku', 'x5u', 'x5c'] as const
const utf8 = new TextDecoder('utf-8', { fatal: true })

function malformed(message: string): JWTVerificationError {
  return new JWTVerificationError('ERR_JWT_MALFORMED', message)
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(decodeCheckedBase64url(segment)))
  } catch (cause) {
    throw new JWTVerificationError('ERR_JWT_MALFORMED', `The token ${what} is not valid base64url JSON`, {
      cause,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`The token ${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}

/** The three segments of a compact JWS, checked for shape only (no JSON parsed yet). */
export function splitCompact(token: string, maxLength: number): [string, string, string] {
  // Callers outside TypeScript can pass anything; every entry point reaches this check first.
  if (typeof token !== 'string') throw malformed('The token must be a string')
  if (token.length > maxLength) {
    throw new JWTVerificationError('ERR_JWT_TOO_LARGE', `The token is longer than ${maxLength} characters`)
  }
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first === -1 || second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw malformed('The token must have three dot-separated segments')
  }
  const parts: [string, string, string] = [
    token.slice(0, first),
    token.slice(first + 1, second),
    token.slice(second + 1),
  ]
  for (const part of parts) {
    if (!SEGMENT.test(part)) throw malformed('The token segments must be non-empty base64url')
    // A length of 4n + 1 is no base64 at all; decoders differ on it (Node's drops the character).
    if (part.length % 4 === 1) {
      throw malformed('A token segment has a length no base64url encoding has (4n + 1 characters)')
    }
    if (!canonicalEnding(part)) {
      throw malformed('A token segment is not canonical base64url (its last character sets unused bits)')
    }
  }
  return parts
}

/**
 * RFC 4648 §3.5: the bits past the last byte must be zero. Decoders ignore them, so without this
 * check one signature has 4 or 16 spellings, each a different token string that verifies (a
 * deny-list or a log keyed by the token would tell them apart). One character looked at.
 */
function canonicalEnding(segment: string): boolean {
  const rest = segment.length % 4
  if (rest === 0) return true
  const value = BASE64URL.indexOf(segment[segment.length - 1] as string)
  // 2 characters carry 1 byte (4 spare bits), 3 carry 2 bytes (2 spare bits).
  return (value & (rest === 2 ? 0b1111 : 0b11)) === 0
}

/**
 * Decodes and vets the protected header before any key is looked up: `alg` must be a string
 * other than `none`; `crit` and `b64` (RFC 7797) are refused since no extension is understood;
 * `jwk`/`jku`/`x5u`/`x5c` are refused so a token can never nominate its own key.
 */
export function decodeHeader(segment: string): JWTHeader {
  const header = decodeJsonObject(segment, 'header')
  const { alg, kid, typ } = header
  if (typeof alg !== 'string' || alg.length === 0) throw malformed('The token header has no "alg"')
  if (alg.toLowerCase() === 'none') {
    throw new JWTVerificationError('ERR_JWT_ALG_NOT_ALLOWED', 'Unsigned tokens are not accepted')
  }
  if (header.crit !== undefined || header.b64 !== undefined) {
    throw new JWTVerificationError(
      'ERR_JWT_CRIT_UNSUPPORTED',
      'The token uses an unsupported critical header',
    )
  }
  for (const name of KEY_CARRYING_PARAMETERS) {
    if (header[name] !== undefined) {
      throw new JWTVerificationError('ERR_JWT_HEADER_FORBIDDEN', `The token header must not carry "${name}"`)
    }
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw malformed('The token header "kid" must be a short string')
  }
  if (typ !== undefined && typeof typ !== 'string') throw malformed('The token header "typ" must be a string')
  return header as JWTHeader
}

/** Decodes the claims set; the payload of a JWT must be a JSON object (RFC 7519 §7.2). */
export function decodePayload(segment: string): JWTClaims {
  return decodeJsonObject(segment, 'payload') as JWTClaims
}

/** Parses a verified payload (bytes returned by the signature check). */
export function parsePayloadBytes(bytes: Uint8Array): JWTClaims {
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(bytes))
  } catch (cause) {
    throw new JWTVerificationError('ERR_JWT_MALFORMED', 'The token payload is not valid JSON', { cause })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed('The token payload must be a JSON object')
  }
  return value as JWTClaims
}
