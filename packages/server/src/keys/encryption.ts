/**
 * Private keys at rest: AES-256-GCM under a key-encryption key (KEK) the application holds (from
 * an environment variable or a secret manager), never the store. The stored form names its
 * scheme and version, and which KEK sealed it, so both can change later:
 *
 *   a256gcm-v1$<kek id>$<iv>$<ciphertext and tag>       (base64url parts)
 *
 * The additional authenticated data binds the ciphertext to its record's `kid` and `alg`: a
 * sealed key copied into another record (swapped) fails to open, as does any altered byte. The
 * KEK id is a keyed digest of the KEK (HMAC, truncated): it tells a wrong KEK apart from a
 * tampered record without revealing anything about the KEK.
 */
import { base64url } from 'jose'
import { KeyRingError } from './errors.js'

const SCHEME = 'a256gcm-v1'
const encoder = new TextEncoder()

/** An imported KEK: its AES-GCM key and its public id. */
export interface Kek {
  key: CryptoKey
  id: string
}

/**
 * Reads a 32-byte KEK given as bytes or as base64/base64url text (`openssl rand -base64 32`).
 * Anything else is `ERR_KEK_INVALID`; the message never quotes the value.
 */
export function parseKek(kek: Uint8Array | string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array
  if (typeof kek === 'string') {
    const text = kek.trim().replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw invalidKek()
    try {
      bytes = base64url.decode(text)
    } catch {
      throw invalidKek()
    }
  } else if (kek instanceof Uint8Array) {
    bytes = kek
  } else {
    throw invalidKek()
  }
  if (bytes.length !== 32) throw invalidKek()
  return new Uint8Array(bytes)
}

/** Imports what `parseKek` returned, for AES-GCM, with its id. */
export async function importKek(raw: Uint8Array<ArrayBuffer>): Promise<Kek> {
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
  const mac = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const digest = await crypto.subtle.sign('HMAC', mac, encoder.encode('org-auth key-encryption key id'))
  return { key, id: base64url.encode(new Uint8Array(digest).slice(0, 9)) }
}

function invalidKek(): KeyRingError {
  return new KeyRingError(
    'ERR_KEK_INVALID',
    'The key-encryption key must be 32 bytes (as bytes, or base64 text such as `openssl rand -base64 32`)',
  )
}

function aad(kid: string, alg: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(encoder.encode(`${SCHEME}\0${kid}\0${alg}`))
}

/** Seals a private key's bytes (its JWK as JSON) for the record `kid`/`alg`. */
export async function seal(kek: Kek, kid: string, alg: string, plaintext: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(kid, alg) },
    kek.key,
    new Uint8Array(plaintext),
  )
  return [SCHEME, kek.id, base64url.encode(iv), base64url.encode(new Uint8Array(sealed))].join('$')
}

/** Opens what `seal` made for the same record, or throws a `KeyRingError` naming the `kid` only. */
export async function open(kek: Kek, kid: string, alg: string, stored: string): Promise<Uint8Array> {
  const parts = typeof stored === 'string' ? stored.split('$') : []
  const [scheme, kekId, iv, ciphertext] = parts
  if (parts.length !== 4 || scheme !== SCHEME || iv === undefined || ciphertext === undefined) {
    throw new KeyRingError(
      'ERR_KEY_FORMAT',
      `Signing key ${kid} is stored in a form this version cannot read`,
    )
  }
  if (kekId !== kek.id) {
    throw new KeyRingError(
      'ERR_KEK_MISMATCH',
      `Signing key ${kid} was encrypted under another key-encryption key: check the configured one`,
    )
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(base64url.decode(iv)), additionalData: aad(kid, alg) },
      kek.key,
      new Uint8Array(base64url.decode(ciphertext)),
    )
    return new Uint8Array(plaintext)
  } catch {
    // No cause kept: it would say nothing more, and nothing of the key may leak.
    throw new KeyRingError(
      'ERR_KEY_TAMPERED',
      `Signing key ${kid} does not decrypt: its record was altered or belongs to another key`,
    )
  }
}
