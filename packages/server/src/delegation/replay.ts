import { DelegationStoreFullError } from './errors.js'

/**
 * Remembers request ids (`jti`) until their expiry, so each signed request is acted on once.
 * Implementations must make `consume` atomic (a Redis `SET NX`, an SQL insert on a unique key).
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAt` (seconds since the epoch). Returns `false` when the key is
   * already recorded: the request is a replay.
   */
  consume(key: string, expiresAt: number): Promise<boolean>
}

export interface MemoryReplayStoreOptions {
  /**
   * Most ids remembered at once. When full even after dropping expired ids, `consume` throws and
   * the service answers 503: forgetting an unexpired id would let its request be replayed.
   * Default: 100000.
   */
  maxEntries?: number
  /** Current time in milliseconds. Default: `Date.now`. */
  now?: () => number
}

/** The in-memory replay store: one instance only (use a shared store behind a load balancer). */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? 100_000
  const now = options.now ?? Date.now
  const entries = new Map<string, number>()
  const sweep = (seconds: number) => {
    for (const [key, expiresAt] of entries) if (expiresAt <= seconds) entries.delete(key)
  }
  return {
    async consume(key, expiresAt) {
      const seconds = Math.floor(now() / 1000)
      const known = entries.get(key)
      if (known !== undefined && known > seconds) return false
      if (entries.size >= maxEntries) sweep(seconds)
      if (entries.size >= maxEntries) throw new DelegationStoreFullError('The replay store is full')
      entries.set(key, expiresAt)
      return true
    },
  }
}
