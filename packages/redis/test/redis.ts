/**
 * The Redis server of the tests: `REDIS_URL` (.ci/run sets it). Without it the suites skip and
 * say so. Every store gets a prefix of its own under one random prefix per run, deleted afterwards.
 */
import { randomUUID } from 'node:crypto'
import { createClient, type RedisClientType } from 'redis'
import { afterAll, beforeAll } from 'vitest'

export const REDIS_URL = process.env.REDIS_URL
if (REDIS_URL === undefined || REDIS_URL === '') {
  console.log('REDIS_URL is not set: skipped the tests against a Redis server (the Redis store contracts)')
}
export const skip = REDIS_URL === undefined || REDIS_URL === ''

/** Every key of this run starts with it. */
export const RUN_PREFIX = `org-auth-test:${randomUUID()}:`
const RUN = RUN_PREFIX
let count = 0
/** A prefix no other store of this run (or any other run) shares. */
export const freshPrefix = () => `${RUN}${++count}:`

/** Connected clients (RESP2 and RESP3) for the file's tests; closed, and the run's keys deleted, after. */
export function useRedis(): { client: () => RedisClientType; resp3: () => RedisClientType } {
  let client: RedisClientType | undefined
  let resp3: RedisClientType | undefined
  beforeAll(async () => {
    if (skip) return
    client = createClient({ url: REDIS_URL })
    resp3 = createClient({ url: REDIS_URL, RESP: 3 }) as unknown as RedisClientType
    await Promise.all([client.connect(), resp3.connect()])
  })
  afterAll(async () => {
    if (client === undefined) return
    const keys: string[] = []
    for await (const batch of client.scanIterator({ MATCH: `${RUN}*`, COUNT: 1000 })) keys.push(...batch)
    if (keys.length > 0) await client.del(keys)
    await Promise.all([client.close(), resp3?.close()])
  })
  const connected = (value: RedisClientType | undefined) => {
    if (value === undefined) throw new Error('Redis is not connected')
    return value
  }
  return { client: () => connected(client), resp3: () => connected(resp3) }
}

/** The keys under `prefix` (tests only: the stores never list keys). */
export async function keysUnder(client: RedisClientType, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch)
  return keys.sort()
}
