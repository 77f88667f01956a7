/**
 * Sealed cookie values: a compact JWE (`dir`, `A256GCM`, RFC 7516), so a cookie is both secret
 * and tamper-evident. Keys are derived with HKDF-SHA-256 from the application's secrets, one key
 * per secret and purpose: a transaction cookie cannot be replayed as a session cookie, and the
 * list of secrets gives rotation (the first seals, all unseal, the `kid` picks the key).
 */
import { EncryptJWT, jwtDecrypt } from 'jose'
import { ConfigurationError } from '../errors.js'
import { isProduction } from '../lib/environment.js'
import { LruCache } from '../lib/lru.js'
import { weakness } from './weak-secrets.js'

/** Below this, a secret is guessable offline from one cookie. */
const MIN_SECRET_LENGTH = 32
/**
 * Unsealed values are remembered by their last characters: the GCM tag and a little ciphertext.
 * A hit is confirmed against the whole value, so a colliding key can only cause a miss.
 */
const CACHE_KEY_LENGTH = 32
const encoder = new TextEncoder()

interface DerivedKey {
  kid: string
  key: CryptoKey
}

export interface Unsealed {
  payload: Record<string, unknown>
  /** False when a retired secret sealed the value: the caller should reseal it. */
  current: boolean
}

export interface Sealer {
  /** Seals `payload`, valid until `expiresAt` (epoch seconds). */
  seal(payload: Record<string, unknown>, expiresAt: number): Promise<string>
  /** The payload, or `undefined` for a value that is tampered, expired, or sealed with an unknown secret. */
  unseal(value: string): Promise<Unsealed | undefined>
}

/**
 * Checks the `secrets` option: one secret or a non-empty list, each long enough and, in
 * production, none of the published or development values (unless `allowWeak`).
 */
export function checkSecrets(secrets: unknown, option: string, allowWeak = false): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError(`"${option}" must be a secret or a non-empty list of secrets`)
  }
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigurationError(
        `Every "${option}" entry must be a string of at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`,
      )
    }
    const weak = allowWeak || !isProduction() ? undefined : weakness(secret)
    if (weak !== undefined) {
      throw new ConfigurationError(
        `An entry of "${option}" ${weak}: in production (NODE_ENV=production) use a random one (\`openssl rand -base64 32\`)`,
      )
    }
  }
  return list as string[]
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

async function derive(secret: string, purpose: string): Promise<DerivedKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
  const bits = (info: string, length: number) =>
    crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
      material,
      length,
    )
  const [raw, kid] = await Promise.all([
    bits(`org-auth ${purpose} A256GCM`, 256),
    // The kid names the secret without revealing anything about the key.
    bits(`org-auth ${purpose} kid`, 64),
  ])
  // Imported once: given raw bytes, jose imports the key again on every seal and unseal, which
  // cost as much as the AES-GCM decryption itself on each request carrying a session cookie.
  const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
  return { key, kid: base64url(new Uint8Array(kid)) }
}

/** A sealer for one purpose (`session`, `transaction`) over the given secrets, newest first; `now` in epoch ms. */
export function createSealer(
  secrets: readonly string[],
  purpose: string,
  now: () => number = Date.now,
): Sealer {
  let keys: Promise<DerivedKey[]> | undefined
  const derived = () => {
    keys ??= Promise.all(secrets.map((secret) => derive(secret, purpose)))
    return keys
  }
  return {
    async seal(payload, expiresAt) {
      const [current] = await derived()
      if (current === undefined) throw new ConfigurationError('No secret to seal with')
      return new EncryptJWT(payload)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid })
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(expiresAt)
        .encrypt(current.key)
    },
    async unseal(value) {
      const all = await derived()
      let used: DerivedKey | undefined
      try {
        const { payload } = await jwtDecrypt(
          value,
          (header) => {
            used = all.find((candidate) => candidate.kid === header.kid)
            if (used === undefined) throw new Error('unknown kid')
            return used.key
          },
          {
            keyManagementAlgorithms: ['dir'],
            contentEncryptionAlgorithms: ['A256GCM'],
            currentDate: new Date(now()),
          },
        )
        return { payload: payload as Record<string, unknown>, current: used === all[0] }
      } catch {
        // Tampered, expired, retired: all mean "no valid value"; the reason is not the client's business.
        return undefined
      }
    },
  }
}

interface Remembered {
  /** The whole sealed value: a hit must match it exactly. */
  value: string
  unsealed: Unsealed
  /** Epoch ms: the value's `exp`, after which the full check refuses it. */
  until: number
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** A sealer that remembers what it unsealed, and answers for those values without waiting. */
export interface CachingSealer extends Sealer {
  /**
   * What `unseal(value)` would give, when `value` was unsealed before and has not expired since;
   * `undefined` when that is not known yet (then call `unseal`). Synchronous: the session check
   * of a browser that sends the same cookie again needs neither the crypto nor a promise.
   */
  unsealCached(value: string): Unsealed | undefined
}

/**
 * The same sealer, remembering up to `maxEntries` values it unsealed until each one's `exp`: a
 * browser sends the same session cookie with every request, and decrypting it (Web Crypto's
 * AES-GCM, an asynchronous job, plus parsing) cost more than the rest of a session check. Only
 * values that passed the full check are remembered, and a hit is the exact same string, so
 * nothing unseals from the cache that would not unseal now: the secrets of a sealer never change,
 * and an entry ends when the value expires. Payloads are frozen, since every hit shares them.
 */
export function withUnsealCache(
  sealer: Sealer,
  now: () => number = Date.now,
  maxEntries = 1000,
): CachingSealer {
  const cache = new LruCache<Remembered>(maxEntries)
  const unsealCached = (value: string): Unsealed | undefined => {
    const key = value.slice(-CACHE_KEY_LENGTH)
    const hit = cache.get(key)
    if (hit === undefined || hit.value !== value) return undefined
    if (hit.until > now()) return hit.unsealed
    cache.delete(key)
    return undefined
  }
  return {
    seal: (payload, expiresAt) => sealer.seal(payload, expiresAt),
    unsealCached,
    async unseal(value) {
      const cached = unsealCached(value)
      if (cached !== undefined) return cached
      const unsealed = await sealer.unseal(value)
      const expiresAt = unsealed?.payload['exp']
      if (unsealed !== undefined && typeof expiresAt === 'number') {
        cache.set(value.slice(-CACHE_KEY_LENGTH), {
          value,
          unsealed: deepFreeze(unsealed),
          until: expiresAt * 1000,
        })
      }
      return unsealed
    },
  }
}
