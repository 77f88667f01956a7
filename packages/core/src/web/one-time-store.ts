/**
 * Single-use values shared by every instance of an application: `consume` answers `true` to
 * exactly one caller per key until the key expires. Web login uses it so that one instance at a
 * time refreshes a session's tokens (a rotated refresh token replayed by a second instance is
 * refused by the provider, and oidc-provider then revokes the whole grant), and so that a login
 * callback is completed once, whichever instance a replay reaches. Implementations must
 * be atomic across instances: a Redis `SET NX EX`, an SQL `INSERT … ON CONFLICT DO NOTHING`.
 */
import { ConfigurationError, SessionError } from '../errors.js'
import { sha256Base64url } from '../lib/sha256.js'

export interface OneTimeStore {
  /** Records `key` until `expiresAt` (epoch seconds); `false` when it is already recorded and unexpired. */
  consume(key: string, expiresAt: number): Promise<boolean>
}

export interface MemoryOneTimeStoreOptions {
  /**
   * Most keys held at once. When full even after dropping expired keys, `consume` rejects with
   * `ERR_ONE_TIME_STORE_FULL` (503): forgetting an unexpired key would let it be used twice.
   * Default: 100,000.
   */
  maxEntries?: number
  /**
   * When full even after dropping expired keys: `'refuse'` rejects (fail closed, for claims whose
   * loss would let a value be used twice); `'evict'` forgets the oldest key instead, for values
   * that are single-use elsewhere too (a login callback's state: the provider's code is). Default:
   * `'refuse'`.
   */
  whenFull?: 'refuse' | 'evict'
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/**
 * The store key of a single-use value: its SHA-256, so whoever can read the shared store learns
 * which values were used without being able to use them. `purpose` keeps the kinds apart.
 */
export async function oneTimeKey(purpose: string, value: string): Promise<string> {
  const digest = await sha256Base64url(value)
  // Standard base64 with padding, as these keys have always been written in shared stores.
  const base64 = digest.replace(/-/g, '+').replace(/_/g, '/')
  return `org-auth:${purpose}:${base64}${'='.repeat((4 - (base64.length % 4)) % 4)}`
}

/** The default: a bounded map in this process (one instance; implement `OneTimeStore` on a shared database for more). */
export class MemoryOneTimeStore implements OneTimeStore {
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => number
  readonly #evict: boolean

  constructor(options: MemoryOneTimeStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    this.#now = options.now ?? Date.now
    if (options.whenFull !== undefined && options.whenFull !== 'refuse' && options.whenFull !== 'evict') {
      throw new ConfigurationError('"whenFull" must be "refuse" or "evict"')
    }
    this.#evict = options.whenFull === 'evict'
  }

  async consume(key: string, expiresAt: number): Promise<boolean> {
    const seconds = Math.floor(this.#now() / 1000)
    const held = this.#entries.get(key)
    if (held !== undefined && held > seconds) return false
    if (this.#entries.size >= this.#maxEntries) {
      for (const [entry, until] of this.#entries) if (until <= seconds) this.#entries.delete(entry)
    }
    if (this.#entries.size >= this.#maxEntries) {
      if (!this.#evict) throw new SessionError('ERR_ONE_TIME_STORE_FULL', 'The one-time store is full', 503)
      // The first key inserted is the oldest (the map keeps insertion order).
      this.#entries.delete(this.#entries.keys().next().value as string)
    }
    this.#entries.set(key, expiresAt)
    return true
  }
}
