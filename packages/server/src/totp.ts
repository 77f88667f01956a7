/**
 * HOTP (RFC 4226) and TOTP (RFC 6238) on Web Crypto HMAC, with base32 (RFC 4648) secrets and
 * `otpauth://` URIs (the Key Uri Format authenticator apps read). Runtime-agnostic.
 */
import { constantTimeEqual } from './constant-time.js'

export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512'

export interface TotpOptions {
  /** HMAC hash. Default: `'SHA1'`, the only one every authenticator app supports. */
  algorithm?: TotpAlgorithm
  /** Code length, 6 to 8. Default: 6. */
  digits?: number
  /** Time step in seconds (RFC 6238 X). Default: 30. */
  period?: number
}

const HASH: Record<TotpAlgorithm, string> = { SHA1: 'SHA-1', SHA256: 'SHA-256', SHA512: 'SHA-512' }
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function settings(options: TotpOptions = {}): Required<TotpOptions> {
  const { algorithm = 'SHA1', digits = 6, period = 30 } = options
  if (!(algorithm in HASH)) throw new TypeError('algorithm must be SHA1, SHA256 or SHA512')
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) throw new TypeError('digits must be 6 to 8')
  if (!Number.isInteger(period) || period < 1) throw new TypeError('period must be a positive integer')
  return { algorithm, digits, period }
}

/** HOTP (RFC 4226 §5.3): HMAC of the 8-byte big-endian counter, dynamically truncated. */
export async function hotp(secret: Uint8Array, counter: number, options?: TotpOptions): Promise<string> {
  const { algorithm, digits } = settings(options)
  if (!Number.isSafeInteger(counter) || counter < 0)
    throw new TypeError('counter must be a non-negative integer')
  const message = new Uint8Array(8)
  const view = new DataView(message.buffer)
  view.setUint32(0, Math.floor(counter / 2 ** 32))
  view.setUint32(4, counter >>> 0)
  const key = await crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: HASH[algorithm] },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
  const offset = (mac[mac.length - 1] as number) & 0x0f
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** The TOTP code (RFC 6238 §4) at `time`, in seconds since the Unix epoch. */
export function generateTotp(secret: Uint8Array, time: number, options?: TotpOptions): Promise<string> {
  const { period } = settings(options)
  return hotp(secret, Math.floor(time / period), options)
}

/**
 * Checks a TOTP code against the steps `time ± window` (RFC 6238 §5.2 network delay), comparing
 * every candidate in constant time and without stopping early. Returns the matching step, or
 * `undefined`.
 */
export async function verifyTotp(
  secret: Uint8Array,
  code: string,
  time: number,
  options?: TotpOptions & { window?: number },
): Promise<number | undefined> {
  const { period } = settings(options)
  const window = options?.window ?? 1
  const encoder = new TextEncoder()
  const given = encoder.encode(code)
  const current = Math.floor(time / period)
  let matched: number | undefined
  for (let step = current - window; step <= current + window; step++) {
    if (step < 0) continue
    const expected = encoder.encode(await hotp(secret, step, options))
    if (constantTimeEqual(expected, given) && matched === undefined) matched = step
  }
  return matched
}

/** RFC 4648 base32, upper case, without padding (the form authenticator apps expect). */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31]
  return out
}

/** Decodes RFC 4648 base32 (case-insensitive, padding optional); throws on any other character. */
export function base32Decode(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/=+$/, '')
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = BASE32.indexOf(char)
    if (index < 0) throw new TypeError('not a base32 string')
    value = ((value << 5) | index) & 0xffff
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Uint8Array.from(out)
}

/** A fresh secret of the RFC 4226 §4 recommended size for the hash (20, 32 or 64 bytes). */
export function generateTotpSecret(algorithm: TotpAlgorithm = 'SHA1'): Uint8Array {
  const size = algorithm === 'SHA1' ? 20 : algorithm === 'SHA256' ? 32 : 64
  return crypto.getRandomValues(new Uint8Array(size))
}

/** An `otpauth://totp/` URI for a QR code: `issuer:account` label, secret and parameters. */
export function otpauthUri(params: {
  secret: string
  issuer: string
  account: string
  options?: TotpOptions
}): string {
  const { algorithm, digits, period } = settings(params.options)
  const label = `${encodeURIComponent(params.issuer)}:${encodeURIComponent(params.account)}`
  const query = new URLSearchParams({
    secret: params.secret,
    issuer: params.issuer,
    algorithm,
    digits: String(digits),
    period: String(period),
  })
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`
}
