import type { CredentialRecord, DelegationStore, MfaChangeSessionRecord } from '@org/auth-server'
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
  getCredentials: string
  putCredentials: string
  putSession: string
  recordAttempt: string
  takeSession: string
}

/**
 * `@org/auth-server`'s `DelegationStore` on PostgreSQL: users' MFA state and pending changes,
 * shared by every instance of the delegation service. Rows of `<schema>.delegation_credentials`
 * and `<schema>.delegation_sessions`; every method is one statement, so attempt counting, the
 * single-use take and the one-pending-change-per-user rule hold across instances.
 */
export class PostgresDelegationStore implements DelegationStore {
  readonly #db: Queryable
  readonly #sql: Statements

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    this.#sql = {
      getCredentials: `SELECT record FROM ${s}.delegation_credentials WHERE sp_id = $1::text AND user_id = $2::text`,
      putCredentials: `INSERT INTO ${s}.delegation_credentials (sp_id, user_id, record)
        VALUES ($1::text, $2::text, $3::text)
        ON CONFLICT (sp_id, user_id) DO UPDATE SET record = EXCLUDED.record`,
      // The user's row is the pending change: the unique (sp_id, user_id) makes a second change
      // replace the first in the same statement, whichever instance stores it, and an attempt or
      // take racing it on the old id finds no row. An id that another user's pending change holds
      // (ids are 32 random bytes: only a replay) violates the primary key and is refused.
      putSession: `INSERT INTO ${s}.delegation_sessions (sp_id, id, user_id, record, attempts, expires_at)
        VALUES ($1::text, $2::text, $3::text, $4::text, $5::integer, to_timestamp($6::float8))
        ON CONFLICT (sp_id, user_id) DO UPDATE SET id = EXCLUDED.id, record = EXCLUDED.record,
          attempts = EXCLUDED.attempts, expires_at = EXCLUDED.expires_at`,
      // Counted before any code is compared: the row lock orders concurrent guesses, N of them
      // get N distinct counts; none for another user's session id.
      recordAttempt: `UPDATE ${s}.delegation_sessions SET attempts = attempts + 1
        WHERE sp_id = $1::text AND id = $2::text AND user_id = $3::text
        RETURNING record, attempts`,
      // Exactly one caller gets the row.
      takeSession: `DELETE FROM ${s}.delegation_sessions WHERE sp_id = $1::text AND id = $2::text
        RETURNING record, attempts`,
    }
  }

  async getCredentials(spId: string, userId: string): Promise<CredentialRecord | undefined> {
    const operation = 'read MFA credentials'
    const [row] = await run<{ record: unknown }>(this.#db, operation, this.#sql.getCredentials, [
      idOf(spId),
      idOf(userId),
    ])
    return row === undefined ? undefined : parseJson<CredentialRecord>(row.record, operation)
  }

  async putCredentials(spId: string, userId: string, record: CredentialRecord): Promise<void> {
    await run(this.#db, 'write MFA credentials', this.#sql.putCredentials, [
      idOf(spId),
      idOf(userId),
      JSON.stringify(record),
    ])
  }

  async putSession(session: MfaChangeSessionRecord): Promise<void> {
    const { attempts, ...record } = session
    // The row stays until `cleanupExpired` deletes it, an hour past `expiresAt`: the service
    // still finds an expired change and answers that it expired.
    await run(this.#db, 'store an MFA change', this.#sql.putSession, [
      idOf(session.spId),
      idOf(session.id),
      idOf(session.userId),
      JSON.stringify(record),
      attempts,
      epochSeconds(session.expiresAt),
    ])
  }

  async recordAttempt(
    spId: string,
    sessionId: string,
    userId: string,
  ): Promise<MfaChangeSessionRecord | undefined> {
    const operation = 'count an MFA attempt'
    const rows = await run(this.#db, operation, this.#sql.recordAttempt, [
      idOf(spId),
      idOf(sessionId),
      idOf(userId),
    ])
    return this.#session(rows[0], operation)
  }

  async takeSession(spId: string, sessionId: string): Promise<MfaChangeSessionRecord | undefined> {
    const operation = 'take an MFA change'
    const rows = await run(this.#db, operation, this.#sql.takeSession, [idOf(spId), idOf(sessionId)])
    return this.#session(rows[0], operation)
  }

  #session(row: Record<string, unknown> | undefined, operation: string): MfaChangeSessionRecord | undefined {
    if (row === undefined) return undefined
    const record = parseJson<Omit<MfaChangeSessionRecord, 'attempts'>>(row.record, operation)
    return { ...record, attempts: numberOf(row.attempts, operation) }
  }
}
