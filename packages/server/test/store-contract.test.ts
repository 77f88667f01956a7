/** The memory stores against the store contracts (the Redis and PostgreSQL stores run the same functions). */
import { delegationStoreContract, fakeClock, oneTimeStoreContract } from '@org/test-kit/store-contracts'
import { createMemoryDelegationStore, createMemoryReplayStore } from '../src/index.js'
import { slowStore } from './helpers/slow-store.js'

delegationStoreContract('memory', async () => createMemoryDelegationStore())
// The same store a few milliseconds away: atomicity must not depend on calls being quick.
delegationStoreContract('memory behind latency', async () => slowStore(createMemoryDelegationStore()).store)
// The replay store is the core's OneTimeStore: the same contract.
const clock = fakeClock()
oneTimeStoreContract('memory replay store', async () => createMemoryReplayStore({ now: clock.now }), clock)
