/** The memory stores against the store contract (the shared stores run the same functions). */
import { createMemoryDelegationStore, createMemoryReplayStore } from '../src/index.js'
import { slowStore } from './helpers/slow-store.js'
import { delegationStoreContract, replayStoreContract } from './helpers/store-contract.js'

delegationStoreContract('memory', async () => createMemoryDelegationStore())
// The same store a few milliseconds away: atomicity must not depend on calls being quick.
delegationStoreContract('memory behind latency', async () => slowStore(createMemoryDelegationStore()).store)
replayStoreContract('memory', async (clock) => createMemoryReplayStore({ now: () => clock.now }))
