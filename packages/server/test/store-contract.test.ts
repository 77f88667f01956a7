/** The memory stores against the store contracts (the Redis and PostgreSQL stores run the same functions). */
import {
  clientStoreContract,
  delegationStoreContract,
  fakeClock,
  keyStoreContract,
  oneTimeStoreContract,
  revocationStoreContract,
} from '@org/test-kit/store-contracts'
import {
  type ClientStore,
  createMemoryClientStore,
  createMemoryDelegationStore,
  createMemoryKeyStore,
  createMemoryReplayStore,
  createMemoryRevocationStore,
} from '../src/index.js'
import { slowStore } from './helpers/slow-store.js'

delegationStoreContract('memory', async () => createMemoryDelegationStore())
// The same store a few milliseconds away: atomicity must not depend on calls being quick.
delegationStoreContract('memory behind latency', async () => slowStore(createMemoryDelegationStore()).store)
// The replay store is the core's OneTimeStore: the same contract.
const clock = fakeClock()
oneTimeStoreContract('memory replay store', async () => createMemoryReplayStore({ now: clock.now }), clock)

const clientClock = fakeClock()
clientStoreContract('memory', async () => createMemoryClientStore({ now: clientClock.now }), clientClock)
// Every call a few milliseconds each way, as a database round trip: compare-and-set must not
// depend on calls being quick.
const sleep = () => new Promise((resolve) => setTimeout(resolve, 2))
function slowClientStore(inner: ClientStore): ClientStore {
  const slow =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await sleep()
      const result = await call(...args)
      await sleep()
      return result
    }
  return {
    insert: slow(inner.insert),
    get: slow(inner.get),
    list: slow(inner.list),
    getWithSecrets: slow(inner.getWithSecrets),
    replace: slow(inner.replace),
    rotateSecret: slow(inner.rotateSecret),
  }
}
clientStoreContract(
  'memory behind latency',
  async () => slowClientStore(createMemoryClientStore({ now: clientClock.now })),
  clientClock,
)

keyStoreContract('memory', async () => createMemoryKeyStore())

const revocationClock = fakeClock()
revocationStoreContract(
  'memory',
  async () => createMemoryRevocationStore({ now: revocationClock.now }),
  revocationClock,
)
