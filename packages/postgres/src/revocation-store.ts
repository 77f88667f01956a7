import type { RevocationStore } from '@org/auth-server'
import { epochSeconds, idOf, type PostgresStoreOptions, type Queryable, run, schemaOf } from './database.js'

/**
 * `@org/auth-server`'s `RevocationStore` on PostgreSQL: the token server's revoked access tokens,
 * one row of `<schema>.revoked_tokens` per `jti` until the token's `exp`, seen by every instance
 * and by resource servers that share the database (a verifier's `revocation.isRevoked`). Each
 * method is one statement; expiry is compared with the database's `now()`.
 */
export class PostgresRevocationStore implements RevocationStore {
  readonly #db: Queryable
  readonly #revoke: string
  readonly #isRevoked: string

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    // Idempotent, and never shortens a revocation: racing calls keep the latest expiry. A row
    // that expired and was not swept yet is taken over by the new expiry.
    this.#revoke = `INSERT INTO ${s}.revoked_tokens AS t (jti, expires_at)
      VALUES ($1::text, to_timestamp($2::float8))
      ON CONFLICT (jti) DO UPDATE SET expires_at = GREATEST(t.expires_at, EXCLUDED.expires_at)`
    this.#isRevoked = `SELECT 1 AS revoked FROM ${s}.revoked_tokens
      WHERE jti = $1::text AND expires_at > now()`
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    await run(this.#db, 'record a revoked token', this.#revoke, [idOf(jti), epochSeconds(expiresAt)])
  }

  async isRevoked(jti: string): Promise<boolean> {
    const rows = await run(this.#db, 'look up a revoked token', this.#isRevoked, [idOf(jti)])
    return rows.length === 1
  }
}
