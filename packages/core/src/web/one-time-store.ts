/**
 * Single-use values shared by every instance of an application: `consume` answers `true` to
 * exactly one caller per key until the key expires. Web login uses it so that one instance at a
 * time refreshes a session's tokens (a rotated refresh token replayed by a second instance is
 * refused by the provider, and oidc-provider then revokes the whole grant), and so that a login
 * callback is completed once, whichever instance a replay reaches. Implementations must
 * be atomic across instances: a Redis `SET NX EX`, an SQL `INSERT … ON CONFLICT DO NOTHING`.
 */
import { SessionError } from '../errors.js'

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
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/**
 * The store key of a single-use value: its SHA-256, so whoever can read the shared store learns
 * which values were used without being able to use them. `purpose` keeps the kinds apart.
 */
export async function oneTimeKey(purpose: string, value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))
  return `org-auth:${purpose}:${btoa(String.fromCharCode(...new Uint8Array(digest)))}`
}

/** The default: a bounded map in this process (one instance; implement `OneTimeStore` on a shared database for more). */
export class MemoryOneTimeStore implements OneTimeStore {
  readonly #entries = new Map<string, number>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: MemoryOneTimeStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    this.#now = options.now ?? Date.now
  }

  async consume(key: string, expiresAt: number): Promise<boolean> {
    const seconds = Math.floor(this.#now() / 1000)
    const held = this.#entries.get(key)
    if (held !== undefined && held > seconds) return false
    if (this.#entries.size >= this.#maxEntries) {
      for (const [entry, until] of this.#entries) if (until <= seconds) this.#entries.delete(entry)
    }
    if (this.#entries.size >= this.#maxEntries) {
      throw new SessionError('ERR_ONE_TIME_STORE_FULL', 'The one-time store is full', 503)
    }
    this.#entries.set(key, expiresAt)
    return true
  }
}
