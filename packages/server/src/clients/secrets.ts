/**
 * Client secrets: generated, never chosen; shown once; stored only as a salted HMAC-SHA-256.
 *
 * Why not bcrypt, scrypt or Argon2: a slow hash protects a secret a person chose, which can be
 * guessed from a dictionary. A client secret is 256 random bits: no guess list exists, and an
 * attacker holding the table must still try 2^255 values on average, fast hash or slow. A slow
 * hash would add only cost to every token request (tens of milliseconds of CPU each, capping
 * issuance at a few dozen per second per core). So: HMAC-SHA-256 keyed with a per-record 128-bit
 * salt (equal secrets never share a digest, and no precomputed table applies), compared in
 * constant time. The stored form names its algorithm, `hmac-sha256$<salt>$<digest>` (base64url),
 * so a later release can add another and read both.
 */
import { constantTimeEqual } from '../constant-time.js'
import { nativeCrypto } from '../native-crypto.js'

/** What secret scanners match: `oas_` + 43 base64url characters (32 random bytes). */
export const SECRET_PREFIX = 'oas_'
/** Client ids: `oac_` + 22 base64url characters (16 random bytes); the prefix keeps a leading `-` out. */
export const CLIENT_ID_PREFIX = 'oac_'
const ALGORITHM = 'hmac-sha256'
/** Longest secret hashed as given; longer ones are refused (after the same work). */
export const MAX_SECRET_LENGTH = 512

const encoder = new TextEncoder()

export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The bytes of a binary string (`atob`'s output): a loop, several times faster than `Uint8Array.from` with a callback. */
export function binaryBytes(binary: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  try {
    return binaryBytes(atob(text.replace(/-/g, '+').replace(/_/g, '/')))
  } catch {
    return undefined // a length base64 cannot have
  }
}

const random = (length: number) => crypto.getRandomValues(new Uint8Array(length))

export const generateSecret = (): string => SECRET_PREFIX + base64url(random(32))
export const generateClientId = (): string => CLIENT_ID_PREFIX + base64url(random(16))

async function hmac(salt: Uint8Array<ArrayBuffer>, secret: string): Promise<Uint8Array> {
  const native = nativeCrypto()
  if (native !== null) return native.createHmac('sha256', salt).update(secret).digest()
  const key = await crypto.subtle.importKey('raw', salt, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(secret)))
}

/** The stored form of a secret, under a fresh salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = random(16)
  return `${ALGORITHM}$${base64url(salt)}$${base64url(await hmac(salt, secret))}`
}

interface Parsed {
  salt: Uint8Array<ArrayBuffer>
  digest: Uint8Array<ArrayBuffer>
}

// Stored forms parsed before, by their text: a cached client's hash is parsed once, not per check.
const parsedHashes = new Map<string, Parsed | undefined>()
const MAX_PARSED_HASHES = 10_000

/** A stored form this release reads, or undefined (another algorithm, or damaged). */
export function parseHash(stored: string): Parsed | undefined {
  if (parsedHashes.has(stored)) return parsedHashes.get(stored)
  const parsed = parseHashText(stored)
  if (parsedHashes.size >= MAX_PARSED_HASHES) parsedHashes.delete(parsedHashes.keys().next().value as string)
  parsedHashes.set(stored, parsed)
  return parsed
}

function parseHashText(stored: string): Parsed | undefined {
  const [algorithm, salt, digest, extra] = stored.split('$')
  if (algorithm !== ALGORITHM || salt === undefined || digest === undefined || extra !== undefined)
    return undefined
  const saltBytes = fromBase64url(salt)
  const digestBytes = fromBase64url(digest)
  if (saltBytes === undefined || saltBytes.length < 16 || digestBytes?.length !== 32) return undefined
  return { salt: saltBytes, digest: digestBytes }
}

/** A stand-in for a client with no usable hash: the same work, never a match. */
export function decoyHash(): Parsed {
  return { salt: random(16), digest: random(32) }
}

/**
 * Hashes `secret` under the candidate's salt and compares in constant time. Always one HMAC and
 * one comparison, whatever the candidate: callers pass a decoy when there is none.
 */
export async function matches(candidate: Parsed, secret: string): Promise<boolean> {
  return constantTimeEqual(await hmac(candidate.salt, secret), candidate.digest)
}
