/** The Redis stores against the store contracts that the memory stores pass (REDIS_URL). */
import {
  delegationStoreContract,
  oneTimeStoreContract,
  realClock,
  sessionIndexContract,
  sessionStoreContract,
} from '@org/test-kit/store-contracts'
import { describe } from 'vitest'
import { RedisDelegationStore, RedisOneTimeStore, RedisSessionStore } from '../src/index.js'
import { freshPrefix, skip, useRedis } from './redis.js'

describe.skipIf(skip)('Redis stores (REDIS_URL)', () => {
  const { client, resp3 } = useRedis()
  const options = () => ({ prefix: freshPrefix() })

  oneTimeStoreContract('RedisOneTimeStore', async () => new RedisOneTimeStore(client(), options()), realClock)
  oneTimeStoreContract(
    'RedisOneTimeStore (RESP3)',
    async () => new RedisOneTimeStore(resp3(), options()),
    realClock,
  )
  sessionStoreContract('RedisSessionStore', async () => new RedisSessionStore(client(), options()), realClock)
  sessionStoreContract(
    'RedisSessionStore (RESP3)',
    async () => new RedisSessionStore(resp3(), options()),
    realClock,
  )
  sessionIndexContract('RedisSessionStore', async () => new RedisSessionStore(client(), options()), realClock)
  sessionIndexContract(
    'RedisSessionStore (RESP3)',
    async () => new RedisSessionStore(resp3(), options()),
    realClock,
  )
  delegationStoreContract('RedisDelegationStore', async () => new RedisDelegationStore(client(), options()))
  delegationStoreContract(
    'RedisDelegationStore (RESP3)',
    async () => new RedisDelegationStore(resp3(), options()),
  )
})
