import { isAuthError, MemoryOneTimeStore, type OneTimeStore } from '@org/auth-core'
import { DelegationStoreFullError } from './errors.js'

/**
 * Remembers request ids (`jti`) until their expiry, so each signed request is acted on once. It is
 * the core's `OneTimeStore`: any implementation of it (memory, Redis `SET NX`, an SQL insert on a
 * unique key) serves, shared with the web login's single-use values.
 */
export type ReplayStore = OneTimeStore

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
  const store = new MemoryOneTimeStore(options)
  return {
    async consume(key, expiresAt) {
      try {
        return await store.consume(key, expiresAt)
      } catch (error) {
        // The delegation service's own code for a store at its bound (answered 503, reported).
        if (isAuthError(error) && error.code === 'ERR_ONE_TIME_STORE_FULL') {
          throw new DelegationStoreFullError('The replay store is full')
        }
        throw error
      }
    },
  }
}
