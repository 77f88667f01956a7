import { checkWindowSeconds, type RateLimitCount, type RateLimitStore } from '@org/auth-core'
import { idOf, numberOf, type PostgresStoreOptions, type Queryable, run, schemaOf } from './database.js'

/**
 * The core's `RateLimitStore` on PostgreSQL: fixed-window counters shared by every instance.
 * Rows of `<schema>.rate_limits`; windows are timed by the database's clock.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly #db: Queryable
  readonly #hit: string
  readonly #reset: string
  readonly #peek: string

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    // One statement per hit: the row lock orders concurrent hits, so N of them get N distinct
    // counts. A window opens at a hit after the previous one ended, and ends on a whole second
    // (as the memory store's), so `resetAt` is an integer fit for `Retry-After`.
    this.#hit = `INSERT INTO ${s}.rate_limits AS t (key, count, window_ends)
      VALUES ($1::text, 1, to_timestamp(ceil(extract(epoch FROM now())) + $2::float8))
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN t.window_ends <= now() THEN 1 ELSE least(t.count, 2147483646) + 1 END,
        window_ends = CASE WHEN t.window_ends <= now() THEN EXCLUDED.window_ends ELSE t.window_ends END
      RETURNING count, extract(epoch FROM window_ends)::float8 AS reset_at`
    this.#reset = `DELETE FROM ${s}.rate_limits WHERE key = $1::text`
    // A plain read: no row lock, so the hot path never waits behind the writers of one key.
    this.#peek = `SELECT count, extract(epoch FROM window_ends)::float8 AS reset_at
      FROM ${s}.rate_limits WHERE key = $1::text AND window_ends > now()`
  }

  async hit(key: string, windowSeconds: number): Promise<RateLimitCount> {
    checkWindowSeconds(windowSeconds)
    const operation = 'count a rate-limited hit'
    const [row] = await run<{ count: unknown; reset_at: unknown }>(this.#db, operation, this.#hit, [
      idOf(key),
      windowSeconds,
    ])
    return { count: numberOf(row?.count, operation), resetAt: numberOf(row?.reset_at, operation) }
  }

  async peek(key: string): Promise<RateLimitCount | undefined> {
    const operation = 'read a rate-limit count'
    const [row] = await run<{ count: unknown; reset_at: unknown }>(this.#db, operation, this.#peek, [
      idOf(key),
    ])
    if (row === undefined) return undefined
    return { count: numberOf(row.count, operation), resetAt: numberOf(row.reset_at, operation) }
  }

  async reset(key: string): Promise<void> {
    await run(this.#db, 'reset a rate limit', this.#reset, [idOf(key)])
  }
}
