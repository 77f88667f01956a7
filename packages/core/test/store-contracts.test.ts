/** The core's memory stores against the store contracts (the Redis and PostgreSQL stores run the same). */
import {
  fakeClock,
  oneTimeStoreContract,
  rateLimitStoreContract,
  sessionIdpSidContract,
  sessionIndexContract,
  sessionStoreContract,
} from '@org/test-kit/store-contracts'
import { describe, expect, it } from 'vitest'
import { MemoryOneTimeStore, MemoryRateLimitStore, MemorySessionStore } from '../src/index.js'

const clock = fakeClock()
oneTimeStoreContract('MemoryOneTimeStore', async () => new MemoryOneTimeStore({ now: clock.now }), clock)
oneTimeStoreContract(
  'MemoryOneTimeStore (evicting)',
  async () => new MemoryOneTimeStore({ now: clock.now, whenFull: 'evict' }),
  clock,
)
sessionStoreContract('MemorySessionStore', async () => new MemorySessionStore({ now: clock.now }), clock)
sessionIndexContract('MemorySessionStore', async () => new MemorySessionStore({ now: clock.now }), clock)
sessionIdpSidContract('MemorySessionStore', async () => new MemorySessionStore({ now: clock.now }), clock)
rateLimitStoreContract(
  'MemoryRateLimitStore',
  async () => new MemoryRateLimitStore({ now: clock.now }),
  clock,
)

describe('MemoryRateLimitStore bounds', () => {
  it('forgets the oldest window when full, after dropping ended ones', async () => {
    const local = fakeClock()
    const store = new MemoryRateLimitStore({ maxEntries: 2, now: local.now })
    await store.hit('old', 1)
    await store.hit('kept', 60)
    await local.advance(2_000)
    // 'old' has ended: dropping it makes room, and 'kept' keeps its count.
    await store.hit('new', 60)
    await expect(store.hit('kept', 60)).resolves.toMatchObject({ count: 2 })
    // Full of live windows: the oldest ('kept') is forgotten for 'newest'.
    await store.hit('newest', 60)
    await expect(store.hit('kept', 60)).resolves.toMatchObject({ count: 1 })
  })
})
