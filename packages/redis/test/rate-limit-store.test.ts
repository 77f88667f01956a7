/** What the rate-limit contract does not cover: Redis's clock, the key layout, expiry, failures. */
import { isAuthError } from '@org/auth-core'
import { createClient, type RedisClusterType } from 'redis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RedisRateLimitStore, RedisStoreError } from '../src/index.js'
import { freshPrefix, keysUnder, REDIS_URL, skip, useRedis } from './redis.js'

describe('RedisRateLimitStore without a server', () => {
  it('refuses a prefix with hash-tag braces and a bad window before sending anything', async () => {
    const client = { eval: vi.fn(async () => [1, 1]) }
    expect(() => new RedisRateLimitStore(client, { prefix: 'app{1}:' })).toThrow(/prefix/)
    await expect(new RedisRateLimitStore(client).hit('k', 0)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    expect(client.eval).not.toHaveBeenCalled()
  })

  it('accepts a node-redis cluster as well as a client (type check)', () => {
    const store = (cluster: RedisClusterType) => new RedisRateLimitStore(cluster)
    expect(store).toBeTypeOf('function')
  })

  it('refuses a script reply that is not a count and a window end', async () => {
    for (const reply of [null, 'x', [0, 10], [1], [1, 'soon'], [2 ** 60, 10]]) {
      const store = new RedisRateLimitStore({ eval: async () => reply })
      await expect(store.hit('k', 60), JSON.stringify(reply)).rejects.toMatchObject({
        code: 'ERR_STORE_INVALID_VALUE',
        status: 500,
      })
    }
  })
})

describe.skipIf(skip)('RedisRateLimitStore (REDIS_URL)', () => {
  const { client } = useRedis()
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const serverSeconds = async () => {
    // TIME answers [seconds, microseconds] as strings.
    const [seconds, micros] = (await client().sendCommand(['TIME'])) as [string, string]
    return Number(seconds) + Number(micros) / 1e6
  }

  it('opens the window on the Redis clock, so instances with skewed clocks agree', async () => {
    const prefix = freshPrefix()
    const before = await serverSeconds()
    // This process's clock an hour ahead: a store reading it would end its windows an hour late.
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000)
    const first = await new RedisRateLimitStore(client(), { prefix }).hit('k', 60)
    vi.restoreAllMocks()
    const second = await new RedisRateLimitStore(client(), { prefix }).hit('k', 60)
    const after = await serverSeconds()
    expect(first.count).toBe(1)
    expect(second).toEqual({ count: 2, resetAt: first.resetAt })
    expect(first.resetAt).toBeGreaterThanOrEqual(Math.floor(before) + 60)
    expect(first.resetAt).toBeLessThanOrEqual(Math.ceil(after) + 60)
  })

  it('keeps one counter per key under <prefix>rate:{<key>}, expiring when its window ends', async () => {
    const prefix = freshPrefix()
    const store = new RedisRateLimitStore(client(), { prefix })
    const { resetAt } = await store.hit('client:a{b}', 60)
    await store.hit('client:a{b}', 60)
    await store.hit('ip', 30)
    const keys = (await keysUnder(client(), prefix)).map((key) => key.slice(prefix.length))
    expect(keys).toEqual(['rate:{client%003aa%007bb%007d}', 'rate:{ip}'])
    await expect(client().get(`${prefix}rate:{client%003aa%007bb%007d}`)).resolves.toBe('2')
    await expect(client().expireTime(`${prefix}rate:{client%003aa%007bb%007d}`)).resolves.toBe(resetAt)
    await store.reset('client:a{b}')
    await expect(keysUnder(client(), prefix)).resolves.toEqual([`${prefix}rate:{ip}`])
  })

  it('keeps the window the first hit opened, even when later hits ask for another length', async () => {
    const store = new RedisRateLimitStore(client(), { prefix: freshPrefix() })
    const first = await store.hit('k', 60)
    await expect(store.hit('k', 3600)).resolves.toEqual({ count: 2, resetAt: first.resetAt })
  })

  it('gives a counter left without an expiry one, instead of counting it forever', async () => {
    const prefix = freshPrefix()
    await client().set(`${prefix}rate:{k}`, '5')
    const before = await serverSeconds()
    const result = await new RedisRateLimitStore(client(), { prefix }).hit('k', 60)
    expect(result.count).toBe(6)
    expect(result.resetAt).toBeGreaterThanOrEqual(Math.floor(before) + 60)
    await expect(client().expireTime(`${prefix}rate:{k}`)).resolves.toBe(result.resetAt)
  })

  it('refuses a value it did not write instead of trusting it', async () => {
    const prefix = freshPrefix()
    await client().set(`${prefix}rate:{text}`, 'not a number')
    await client().hSet(`${prefix}rate:{hash}`, 'count', '1')
    const store = new RedisRateLimitStore(client(), { prefix })
    for (const key of ['text', 'hash']) {
      await expect(store.hit(key, 60), key).rejects.toMatchObject({
        code: 'ERR_STORE_INVALID_VALUE',
        status: 500,
      })
    }
    await expect(client().get(`${prefix}rate:{text}`)).resolves.toBe('not a number')
  })

  it('fails closed with a 503 AuthError that names no key when Redis is gone', async () => {
    const closed = createClient({ url: REDIS_URL })
    await closed.connect()
    closed.destroy()
    const store = new RedisRateLimitStore(closed)
    for (const call of [() => store.hit('secret-key', 60), () => store.reset('secret-key')]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(RedisStoreError)
      expect(isAuthError(error) && error.code).toBe('ERR_STORE_UNAVAILABLE')
      expect(isAuthError(error) && error.status).toBe(503)
      expect(String((error as Error).message)).not.toMatch(/secret/)
    }
  })

  it('accepts the longest window the core allows', async () => {
    const store = new RedisRateLimitStore(client(), { prefix: freshPrefix() })
    const result = await store.hit('k', Number.MAX_SAFE_INTEGER)
    expect(result.count).toBe(1)
    expect(result.resetAt).toBeGreaterThan(Number.MAX_SAFE_INTEGER / 2)
  })
})
