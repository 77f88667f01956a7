import type { OneTimeStore } from '@org/auth-core'
import { epochSeconds, idOf, type PostgresStoreOptions, type Queryable, run, schemaOf } from './database.js'

/**
 * The core's `OneTimeStore` on PostgreSQL: login callbacks, refresh locks and the delegation
 * service's `jti` replay cache, shared by every instance. Rows of `<schema>.one_time`.
 */
export class PostgresOneTimeStore implements OneTimeStore {
  readonly #db: Queryable
  readonly #consume: string

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    // One statement is the atomic claim: of any number of callers on any connections, one inserts
    // the row or takes over an expired one (the others wait for its row lock, then see it
    // unexpired and get no row back). A past expiry is claimed and holds nothing, as in memory.
    this.#consume = `INSERT INTO ${s}.one_time AS t (key, expires_at)
      VALUES ($1::text, to_timestamp($2::float8))
      ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE t.expires_at <= now()
      RETURNING 1 AS claimed`
  }

  async consume(key: string, expiresAt: number): Promise<boolean> {
    const rows = await run(this.#db, 'record a single-use value', this.#consume, [
      idOf(key),
      epochSeconds(expiresAt),
    ])
    return rows.length === 1
  }
}
