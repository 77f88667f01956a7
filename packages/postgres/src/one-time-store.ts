import type { OneTimeStore } from '@org/auth-core'
import { epochSeconds, idOf, type PostgresStoreOptions, type Queryable, run, schemaOf } from './database.js'

/** The callers of one key in a batch: the first claims it, any others lost to it. */
interface Claim {
  expiresAt: number
  callers: Array<{ resolve(claimed: boolean): void; reject(error: unknown): void }>
}

// Past this many keys a batch is sent at once and the next calls start another.
const MAX_BATCH = 500
const OPERATION = 'record a single-use value'
// After the I/O callbacks of this turn of the event loop (setImmediate), not after each one.
const nextTurn: (run: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (run) => void globalThis.setImmediate(run)
    : (run) => void setTimeout(run, 0)

/**
 * The core's `OneTimeStore` on PostgreSQL: login callbacks, refresh locks, the delegation
 * service's `jti` replay cache, and the token server's `private_key_jwt` and DPoP `jti`s, shared
 * by every instance. Rows of `<schema>.one_time`.
 *
 * Claims made in the same turn of the event loop go to the database as one statement (a group
 * commit): under load a token server spends one round trip and one parse on several assertions
 * instead of one each (measured by `pnpm bench:token`). A lone claim is the single-row statement.
 * Each key is still claimed exactly once: the database decides between instances and
 * connections, and callers of the same key in one batch are decided here, the first one winning.
 */
export class PostgresOneTimeStore implements OneTimeStore {
  readonly #db: Queryable
  readonly #consumeOne: string
  readonly #consumeMany: string
  #batch: Map<string, Claim> | undefined

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    // One statement is the atomic claim: of any number of callers on any connections, one inserts
    // the row or takes over an expired one (the others wait for its row lock, then see it
    // unexpired and get no row back). A past expiry is claimed and holds nothing, as in memory.
    const claim = `ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE t.expires_at <= now()
      RETURNING t.key`
    this.#consumeOne = `INSERT INTO ${s}.one_time AS t (key, expires_at)
      VALUES ($1::text, to_timestamp($2::float8)) ${claim}`
    // Keys of a batch are distinct (ON CONFLICT DO UPDATE may not touch one row twice), and in
    // sorted order (see #send). Two claims of one key in a turn give one true, even when its expiry
    // has passed already (one statement, one row): stricter than separate claims, never looser.
    this.#consumeMany = `INSERT INTO ${s}.one_time AS t (key, expires_at)
      SELECT key, to_timestamp(expires_at)
      FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS claims(key, expires_at, position)
      ORDER BY position
      ${claim}`
  }

  consume(key: string, expiresAt: number): Promise<boolean> {
    let seconds: number
    try {
      seconds = epochSeconds(expiresAt)
    } catch (error) {
      return Promise.reject(error)
    }
    const id = idOf(key)
    return new Promise((resolve, reject) => {
      let batch = this.#batch
      if (batch === undefined || batch.size >= MAX_BATCH) {
        if (batch !== undefined) this.#send(batch)
        const fresh = new Map<string, Claim>()
        this.#batch = batch = fresh
        nextTurn(() => {
          if (this.#batch === fresh) this.#send(fresh)
        })
      }
      const claim = batch.get(id)
      if (claim === undefined) batch.set(id, { expiresAt: seconds, callers: [{ resolve, reject }] })
      else claim.callers.push({ resolve, reject })
    })
  }

  #send(batch: Map<string, Claim>): void {
    if (this.#batch === batch) this.#batch = undefined
    // Sorted: statements that share keys then lock their rows in the same order, so two batches
    // (here, or at another instance) cannot deadlock on each other.
    const ids = [...batch.keys()].sort()
    const expiries = ids.map((id) => (batch.get(id) as Claim).expiresAt)
    const [text, params] =
      ids.length === 1 ? [this.#consumeOne, [ids[0], expiries[0]]] : [this.#consumeMany, [ids, expiries]]
    run<{ key: string }>(this.#db, OPERATION, text, params).then(
      (rows) => {
        const claimed = new Set(rows.map((row) => row.key))
        for (const [id, { callers }] of batch) {
          for (const [index, caller] of callers.entries()) caller.resolve(index === 0 && claimed.has(id))
        }
      },
      (error: unknown) => {
        for (const { callers } of batch.values()) for (const caller of callers) caller.reject(error)
      },
    )
  }
}
