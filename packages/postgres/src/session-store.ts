import type { SessionData, SessionStore } from '@org/auth-core'
import {
  epochSeconds,
  idOf,
  numberOf,
  type PostgresStoreOptions,
  parseJson,
  type Queryable,
  run,
  schemaOf,
} from './database.js'

interface Statements {
  get: string
  set: string
  update: string
  delete: string
  list: string
  deleteUser: string
}

/**
 * The core's `SessionStore` on PostgreSQL: each session a row of `<schema>.sessions` (its JSON,
 * its `sub`, its expiry), plus the per-user index (`listUserSessions`, `deleteUserSessions`) for
 * "sign out everywhere", which in SQL is the index on `sub`. A row past its `expires_at` is gone
 * for every reader at once (the database's clock); `cleanupExpired` deletes it later.
 */
export class PostgresSessionStore implements SessionStore {
  readonly #db: Queryable
  readonly #sql: Statements

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    this.#sql = {
      get: `SELECT data FROM ${s}.sessions WHERE id = $1::text AND expires_at > now()`,
      set: `INSERT INTO ${s}.sessions (id, sub, data, expires_at)
        VALUES ($1::text, $2::text, $3::text, to_timestamp($4::float8))
        ON CONFLICT (id) DO UPDATE
        SET sub = EXCLUDED.sub, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
      // Only over a row still there and unexpired: a renewal never brings back a revoked session.
      // A delete that commits first leaves nothing to update; one that waits behind this update's
      // row lock deletes the renewed row after it.
      update: `UPDATE ${s}.sessions
        SET sub = $2::text, data = $3::text, expires_at = to_timestamp($4::float8)
        WHERE id = $1::text AND expires_at > now()
        RETURNING 1 AS updated`,
      delete: `DELETE FROM ${s}.sessions WHERE id = $1::text`,
      list: `SELECT data FROM ${s}.sessions WHERE sub = $1::text AND expires_at > now()`,
      // Every row of the user goes; only the unexpired ones were still sessions to sign out of.
      deleteUser: `WITH deleted AS (DELETE FROM ${s}.sessions WHERE sub = $1::text RETURNING expires_at)
        SELECT count(*) FILTER (WHERE expires_at > now()) AS signed_out FROM deleted`,
    }
  }

  async get(id: string): Promise<SessionData | undefined> {
    const [row] = await run<{ data: unknown }>(this.#db, 'read a session', this.#sql.get, [idOf(id)])
    return row === undefined ? undefined : parseJson<SessionData>(row.data, 'read a session')
  }

  async set(id: string, session: SessionData): Promise<void> {
    await run(this.#db, 'write a session', this.#sql.set, this.#row(id, session))
  }

  async update(id: string, session: SessionData): Promise<boolean> {
    const rows = await run(this.#db, 'write a session', this.#sql.update, this.#row(id, session))
    return rows.length === 1
  }

  async delete(id: string): Promise<void> {
    await run(this.#db, 'delete a session', this.#sql.delete, [idOf(id)])
  }

  /** The user's unexpired sessions (any order), as stored: tokens included, so keep them server-side. */
  async listUserSessions(sub: string): Promise<SessionData[]> {
    const operation = "list a user's sessions"
    const rows = await run<{ data: unknown }>(this.#db, operation, this.#sql.list, [idOf(sub)])
    return rows.map((row) => parseJson<SessionData>(row.data, operation))
  }

  /** Deletes every session of the user ("sign out everywhere"); resolves how many unexpired ones it deleted. */
  async deleteUserSessions(sub: string): Promise<number> {
    const operation = "delete a user's sessions"
    const [row] = await run<{ signed_out: unknown }>(this.#db, operation, this.#sql.deleteUser, [idOf(sub)])
    return numberOf(row?.signed_out, operation)
  }

  #row(id: string, session: SessionData): unknown[] {
    const expiresAt = epochSeconds(session.expiresAt)
    return [idOf(id), idOf(session.user.sub), JSON.stringify(session), expiresAt]
  }
}
