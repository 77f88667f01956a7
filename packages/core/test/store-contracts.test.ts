/** The core's memory stores against the store contracts (the Redis and PostgreSQL stores run the same). */
import { fakeClock, oneTimeStoreContract, sessionStoreContract } from '@org/test-kit/store-contracts'
import { MemoryOneTimeStore, MemorySessionStore } from '../src/index.js'

const clock = fakeClock()
oneTimeStoreContract('MemoryOneTimeStore', async () => new MemoryOneTimeStore({ now: clock.now }), clock)
oneTimeStoreContract(
  'MemoryOneTimeStore (evicting)',
  async () => new MemoryOneTimeStore({ now: clock.now, whenFull: 'evict' }),
  clock,
)
sessionStoreContract('MemorySessionStore', async () => new MemorySessionStore({ now: clock.now }), clock)
