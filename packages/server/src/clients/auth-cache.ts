/**
 * The registry's optional cache of what authentication reads (a client with its secret hashes),
 * so that a busy token server does not read the store on every request. Off by default. With it,
 * a change made elsewhere (another instance, the CLI) reaches this instance within `ttlSeconds`:
 * a disabled client or a rotated secret may still authenticate here until then, and a grace
 * period may last that much longer. Changes made through this registry take effect here at once.
 * Unknown ids are not cached: a flood of invented ids cannot fill it or hide a new client.
 */
import type { StoredClient } from './store.js'

interface Entry {
  stored: StoredClient
  until: number
}

export interface AuthCache {
  /** The cached client, or the store's answer (cached when found). */
  read(
    clientId: string,
    load: (clientId: string) => Promise<StoredClient | undefined>,
  ): Promise<StoredClient | undefined>
  forget(clientId: string): void
}

export function createAuthCache(ttlSeconds: number, maxEntries: number, now: () => number): AuthCache {
  const entries = new Map<string, Entry>()
  // Bumped by every forget(): a read that started before a change made here must not put the
  // record it read (from before the change) back in the cache after it.
  let generation = 0
  return {
    async read(clientId, load) {
      const entry = entries.get(clientId)
      if (entry !== undefined && entry.until > now()) return entry.stored
      const started = generation
      const stored = await load(clientId)
      if (started !== generation) return stored
      if (stored === undefined) {
        entries.delete(clientId)
        return undefined
      }
      entries.delete(clientId)
      // Oldest first in insertion order: the first key is the one to drop.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(clientId, { stored, until: now() + ttlSeconds * 1000 })
      return stored
    },
    forget(clientId) {
      generation++
      entries.delete(clientId)
    },
  }
}

/** A cache that keeps nothing: every read goes to the store. */
export const NO_AUTH_CACHE: AuthCache = {
  read: (clientId, load) => load(clientId),
  forget: () => {},
}
