/** The Redis stores against the store contracts that the memory stores pass (REDIS_URL). */
import {
  delegationStoreContract,
  oneTimeStoreContract,
  rateLimitStoreContract,
  realClock,
  sessionIdpSidContract,
  sessionIndexContract,
  sessionStoreContract,
} from '@org/test-kit/store-contracts'
import { createClient as createClient6 } from 'redis6'
import { afterAll, beforeAll, describe } from 'vitest'
import {
  RedisDelegationStore,
  RedisOneTimeStore,
  RedisRateLimitStore,
  RedisSessionStore,
} from '../src/index.js'
import { freshPrefix, REDIS_URL, RUN_PREFIX, skip, useRedis } from './redis.js'

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
  sessionIdpSidContract(
    'RedisSessionStore',
    async () => new RedisSessionStore(client(), options()),
    realClock,
  )
  sessionIdpSidContract(
    'RedisSessionStore (RESP3)',
    async () => new RedisSessionStore(resp3(), options()),
    realClock,
  )
  delegationStoreContract('RedisDelegationStore', async () => new RedisDelegationStore(client(), options()))
  rateLimitStoreContract(
    'RedisRateLimitStore',
    async () => new RedisRateLimitStore(client(), options()),
    realClock,
  )
  rateLimitStoreContract(
    'RedisRateLimitStore (RESP3)',
    async () => new RedisRateLimitStore(resp3(), options()),
    realClock,
  )
  delegationStoreContract(
    'RedisDelegationStore (RESP3)',
    async () => new RedisDelegationStore(resp3(), options()),
  )
})

// node-redis 6 (npm `latest` since 2026): the peer range admits it, so the contracts run on it too.
describe.skipIf(skip)('Redis stores on node-redis 6 (REDIS_URL)', () => {
  let client: ReturnType<typeof createClient6> | undefined
  beforeAll(async () => {
    client = createClient6({ url: REDIS_URL })
    await client.connect()
  })
  afterAll(async () => {
    if (client === undefined) return
    // This block's keys (the other block's cleanup has run before these tests).
    const keys: string[] = []
    for await (const batch of client.scanIterator({ MATCH: `${RUN_PREFIX}*`, COUNT: 1000 }))
      keys.push(...batch)
    if (keys.length > 0) await client.del(keys)
    await client.close()
  })
  const connected = () => {
    if (client === undefined) throw new Error('Redis is not connected')
    return client
  }
  const options = () => ({ prefix: freshPrefix() })
  oneTimeStoreContract(
    'RedisOneTimeStore',
    async () => new RedisOneTimeStore(connected(), options()),
    realClock,
  )
  sessionStoreContract(
    'RedisSessionStore',
    async () => new RedisSessionStore(connected(), options()),
    realClock,
  )
  sessionIndexContract(
    'RedisSessionStore',
    async () => new RedisSessionStore(connected(), options()),
    realClock,
  )
  sessionIdpSidContract(
    'RedisSessionStore',
    async () => new RedisSessionStore(connected(), options()),
    realClock,
  )
  delegationStoreContract(
    'RedisDelegationStore',
    async () => new RedisDelegationStore(connected(), options()),
  )
  rateLimitStoreContract(
    'RedisRateLimitStore',
    async () => new RedisRateLimitStore(connected(), options()),
    realClock,
  )
})
