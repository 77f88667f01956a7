/**
 * Counters for rate limits shared by every instance: how many times a key (a client id, an IP, a
 * user) was hit in the current window. The token server counts failed client authentications
 * with it; applications may count anything. Implementations must be atomic across instances
 * (a Redis `INCR` in a script, an SQL `INSERT … ON CONFLICT DO UPDATE … RETURNING`): N concurrent
 * hits get N distinct counts, so no burst slips under the limit.
 */
import { ConfigurationError } from '../errors.js'

/** One key's count in its current window. */
export interface RateLimitCount {
  /** Hits in the current window, this one included (1 for the first). */
  count: number
  /** Epoch seconds when the window ends and the count starts again from zero. */
  resetAt: number
}

export interface RateLimitStore {
  /**
   * Counts one hit on `key` and returns the count in the key's window. A window opens at a key's
   * first hit and lasts `windowSeconds` (a whole number ≥ 1); the first hit after it ends opens
   * the next one.
   */
  hit(key: string, windowSeconds: number): Promise<RateLimitCount>
  /**
   * The key's count in its current window without counting anything, or `undefined` when it has
   * none (never hit, window ended, or reset). What a hot path reads to learn whether a key is
   * over its limit without a write (the token server's successful authentications), while
   * failures are still counted atomically with `hit`.
   */
  peek(key: string): Promise<RateLimitCount | undefined>
  /** Forgets the key's count (after a successful login, say). */
  reset(key: string): Promise<void>
}

export interface MemoryRateLimitStoreOptions {
  /**
   * Keys counted at once. When full even after dropping ended windows, the oldest window is
   * forgotten (its key starts again from zero): a bound on memory an attacker cannot exceed by
   * inventing keys. Default: 100,000.
   */
  maxEntries?: number
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/** Checks a window length once, for every implementation: a whole number of seconds, at least 1. */
export function checkWindowSeconds(windowSeconds: number): number {
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new ConfigurationError('A rate-limit window must be a whole number of seconds, at least 1')
  }
  return windowSeconds
}

/** The default: counters in this process (one instance; use a shared store for more). */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, RateLimitCount>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    this.#now = options.now ?? Date.now
  }

  async hit(key: string, windowSeconds: number): Promise<RateLimitCount> {
    checkWindowSeconds(windowSeconds)
    const seconds = this.#now() / 1000
    const current = this.#windows.get(key)
    if (current !== undefined && current.resetAt > seconds) {
      current.count += 1
      return { ...current }
    }
    this.#windows.delete(key)
    // Insertion order is window-opening order: ended windows are dropped from the front, stopping
    // at the first one still open (with one window length, the rest are newer). A full scan here
    // cost every new key O(n) while the map was full of open windows: a cheap way to burn CPU.
    if (this.#windows.size >= this.#maxEntries) {
      for (const [entry, window] of this.#windows) {
        if (window.resetAt > seconds) break
        this.#windows.delete(entry)
      }
    }
    // Still full: the oldest window is forgotten (its key starts again from zero).
    if (this.#windows.size >= this.#maxEntries)
      this.#windows.delete(this.#windows.keys().next().value as string)
    const opened = { count: 1, resetAt: Math.ceil(seconds) + windowSeconds }
    this.#windows.set(key, opened)
    return { ...opened }
  }

  async peek(key: string): Promise<RateLimitCount | undefined> {
    const current = this.#windows.get(key)
    if (current === undefined || current.resetAt <= this.#now() / 1000) return undefined
    return { ...current }
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key)
  }
}
