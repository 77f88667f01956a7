import { checkWindowSeconds, type RateLimitCount, type RateLimitStore } from '@org/auth-core'
import {
  part,
  prefixOf,
  type RedisScriptClient,
  RedisStoreError,
  type RedisStoreOptions,
  run,
} from './client.js'

// One script per hit, so counting and opening the window are one atomic step on every instance.
// The window is opened on Redis's clock (TIME), not the caller's: instances whose clocks disagree
// still count into the same window and report the same end. INCR creates the key at 1 on the
// first hit of a window; EXPIREAT … NX gives it an end only when it has none, so later hits keep
// the window the first one opened (and a key somehow left without an expiry still gets one).
// Rounded up to the next whole second as the memory store does: a window lasts `windowSeconds`
// at least, `windowSeconds + 1` at most. A key holding something INCR refuses answers -1.
const HIT = `
local time = redis.call('TIME')
local ok, count = pcall(redis.call, 'INCR', KEYS[1])
if not ok then return {-1, 0} end
local now = tonumber(time[1])
if tonumber(time[2]) > 0 then now = now + 1 end
redis.call('EXPIREAT', KEYS[1], now + tonumber(ARGV[1]), 'NX')
return {count, redis.call('EXPIRETIME', KEYS[1])}`
const DEL = "return redis.call('DEL', KEYS[1])"
// A read: the count and the window's end in one atomic step (a key expiring between two separate
// commands would pair a count with no end). {0, 0} for a key without a count.
const PEEK = `
local count = redis.call('GET', KEYS[1])
if not count then return {0, 0} end
local n = tonumber(count)
if not n then return {-1, 0} end
return {n, redis.call('EXPIRETIME', KEYS[1])}`

/**
 * The core's `RateLimitStore` on Redis: fixed-window counters shared by every instance, each an
 * integer that Redis expires when its window ends. Keys are `<prefix>rate:{<key>}`.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisScriptClient
  readonly #prefix: string

  constructor(client: RedisScriptClient, options: RedisStoreOptions = {}) {
    this.#client = client
    this.#prefix = prefixOf(options)
  }

  async hit(key: string, windowSeconds: number): Promise<RateLimitCount> {
    checkWindowSeconds(windowSeconds)
    const operation = 'count a rate-limit hit'
    const reply = await run(this.#client, operation, HIT, [this.#key(key)], [String(windowSeconds)])
    const [count = Number.NaN, resetAt = Number.NaN] = Array.isArray(reply) ? reply.map(Number) : []
    if (count === -1) throw new RedisStoreError(operation, new TypeError('not an integer counter'), true)
    // The end may pass 2^53 when the window is near the core's largest (a safe integer): whole anyway.
    if (!Number.isSafeInteger(count) || !Number.isInteger(resetAt) || count < 1 || resetAt < 1) {
      throw new RedisStoreError(operation, new TypeError('unexpected script reply'), true)
    }
    return { count, resetAt }
  }

  async peek(key: string): Promise<RateLimitCount | undefined> {
    const operation = 'read a rate-limit count'
    const reply = await run(this.#client, operation, PEEK, [this.#key(key)], [])
    const [count = Number.NaN, resetAt = Number.NaN] = Array.isArray(reply) ? reply.map(Number) : []
    if (count === 0) return undefined
    // Not a counter, or a counter without an end (only `hit` gives it one): fail closed, loudly.
    if (!Number.isSafeInteger(count) || count < 1 || !Number.isInteger(resetAt) || resetAt < 1) {
      throw new RedisStoreError(operation, new TypeError('unexpected script reply'), true)
    }
    return { count, resetAt }
  }

  async reset(key: string): Promise<void> {
    await run(this.#client, 'reset a rate-limit count', DEL, [this.#key(key)], [])
  }

  #key(key: string): string {
    return `${this.#prefix}rate:{${part(key)}}`
  }
}
