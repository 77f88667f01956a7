import type { OneTimeStore } from '@org/auth-core'
import { exat, part, prefixOf, type RedisScriptClient, type RedisStoreOptions, run } from './client.js'

// SET NX is the atomic claim: of any number of callers on any instances, one gets OK. A past
// expiry makes Redis drop the key at once, so an already expired value is claimable (as in memory).
const CONSUME = "return redis.call('SET', KEYS[1], '1', 'NX', 'EXAT', ARGV[1]) and 1 or 0"

/**
 * The core's `OneTimeStore` on Redis: login callbacks, refresh locks and the delegation service's
 * `jti` replay cache, shared by every instance. Keys are `<prefix>once:{<key>}`.
 */
export class RedisOneTimeStore implements OneTimeStore {
  readonly #client: RedisScriptClient
  readonly #prefix: string

  constructor(client: RedisScriptClient, options: RedisStoreOptions = {}) {
    this.#client = client
    this.#prefix = prefixOf(options)
  }

  async consume(key: string, expiresAt: number): Promise<boolean> {
    const reply = await run(
      this.#client,
      'record a single-use value',
      CONSUME,
      [`${this.#prefix}once:{${part(key)}}`],
      [exat(expiresAt)],
    )
    return Number(reply) === 1
  }
}
