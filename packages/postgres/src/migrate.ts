/**
 * The schema, as versioned forward-only steps applied by `migrate()`: at start-up, from a deploy
 * step or the CLI, never by a store on a request path. Every instance may call it at once: one
 * transaction per call, serialised by an advisory lock per schema, applies what is missing and
 * records it in `<schema>.org_auth_migrations`; the others then find nothing left to do.
 */
import {
  type Database,
  PostgresStoreError,
  type PostgresStoreOptions,
  type Queryable,
  redacted,
  schemaName,
} from './database.js'

/** One step: applied once, in order, never edited after release (add a step instead). */
interface Migration {
  version: number
  name: string
  /** Statements, one per `query` (PGlite's `query` runs one statement); `s` is the quoted schema. */
  up(s: string): string[]
}

// Ids, subjects and keys are `text` escaped by `idOf` (no NUL, no lone surrogate); values are
// JSON in `text` (jsonb refuses `\u0000`). Times are `timestamptz`, compared with the database's
// `now()`, never the application's clock. Every table with an expiry has an index on it for
// `cleanupExpired`.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'stores',
    up: (s) => [
      `CREATE TABLE ${s}.sessions (
        id text PRIMARY KEY,
        sub text NOT NULL,
        data text NOT NULL,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX sessions_sub ON ${s}.sessions (sub)`,
      `CREATE INDEX sessions_expires_at ON ${s}.sessions (expires_at)`,
      `CREATE TABLE ${s}.one_time (
        key text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX one_time_expires_at ON ${s}.one_time (expires_at)`,
      `CREATE TABLE ${s}.rate_limits (
        key text PRIMARY KEY,
        count integer NOT NULL,
        window_ends timestamptz NOT NULL
      )`,
      `CREATE INDEX rate_limits_window_ends ON ${s}.rate_limits (window_ends)`,
      `CREATE TABLE ${s}.delegation_credentials (
        sp_id text NOT NULL,
        user_id text NOT NULL,
        record text NOT NULL,
        PRIMARY KEY (sp_id, user_id)
      )`,
      // One pending change per user: the unique (sp_id, user_id) is what putSession's
      // INSERT … ON CONFLICT replaces, atomically.
      `CREATE TABLE ${s}.delegation_sessions (
        sp_id text NOT NULL,
        id text NOT NULL,
        user_id text NOT NULL,
        record text NOT NULL,
        attempts integer NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (sp_id, id),
        UNIQUE (sp_id, user_id)
      )`,
      `CREATE INDEX delegation_sessions_expires_at ON ${s}.delegation_sessions (expires_at)`,
    ],
  },
  {
    version: 2,
    name: 'sessions idp_sid',
    // The provider's session id (`SessionData.idpSid`), escaped as ids are, for back-channel
    // logout by `sid`. Rows written before stay NULL until their next write. A nullable column
    // without a default is added without rewriting the table; the index is partial, as most
    // lookups are by id and sessions without a provider session need no entry.
    up: (s) => [
      `ALTER TABLE ${s}.sessions ADD COLUMN idp_sid text`,
      `CREATE INDEX sessions_idp_sid ON ${s}.sessions (idp_sid) WHERE idp_sid IS NOT NULL`,
    ],
  },
  {
    version: 3,
    name: 'clients',
    // The token server's client registry (`PostgresClientStore`). The record is JSON; `revision`
    // is what updates compare-and-set; the secret columns hold salted hashes only, never a
    // secret. The previous secret's grace ends at `previous_expires_at`, on the database's clock.
    up: (s) => [
      `CREATE TABLE ${s}.clients (
        id text PRIMARY KEY,
        owner text,
        record text NOT NULL,
        revision integer NOT NULL,
        secret_hash text,
        previous_secret_hash text,
        previous_expires_at timestamptz
      )`,
      `CREATE INDEX clients_owner ON ${s}.clients (owner) WHERE owner IS NOT NULL`,
    ],
  },
  {
    version: 4,
    name: 'signing keys',
    // The token server's signing keys (`PostgresKeyStore`): public JWK as JSON, the private key
    // sealed by the key ring (AES-256-GCM under a key-encryption key this database never sees).
    // The times are the key ring's schedule, decided on its clock, not compared with `now()`
    // here. Rows outlive their publication (a short audit trail, one row per rotation), so
    // `cleanupExpired` leaves them and `expires_at` needs no index.
    up: (s) => [
      `CREATE TABLE ${s}.signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        public_jwk text NOT NULL,
        encrypted_private_key text NOT NULL,
        created_at timestamptz NOT NULL,
        activates_at timestamptz NOT NULL,
        retired_at timestamptz,
        expires_at timestamptz
      )`,
    ],
  },
  {
    version: 5,
    name: 'revoked tokens',
    // The token server's revoked access tokens (`PostgresRevocationStore`, RFC 7009): one row per
    // revoked `jti` (escaped as ids are) until the token's `exp`, then `cleanupExpired` removes it.
    up: (s) => [
      `CREATE TABLE ${s}.revoked_tokens (
        jti text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`,
      `CREATE INDEX revoked_tokens_expires_at ON ${s}.revoked_tokens (expires_at)`,
    ],
  },
  {
    version: 6,
    name: 'passkey credentials',
    // `@org/auth-passkeys`'s credentials (`PostgresCredentialStore`): the credential id (escaped as
    // ids are) is the primary key, so an id is registered once across all users. What changes after
    // registration has its own column (the counter that `recordUse` compares and sets, the label,
    // the backup state, the last use); the rest is JSON written once. Times are the relying
    // party's, in epoch seconds. Credentials do not expire: `cleanupExpired` leaves them.
    up: (s) => [
      `CREATE TABLE ${s}.passkey_credentials (
        id text PRIMARY KEY,
        user_id text NOT NULL,
        created_at float8 NOT NULL,
        record text NOT NULL,
        counter bigint NOT NULL,
        name text NOT NULL,
        backed_up boolean NOT NULL,
        last_used_at float8
      )`,
      `CREATE INDEX passkey_credentials_user ON ${s}.passkey_credentials (user_id, created_at, id COLLATE "C")`,
    ],
  },
]

/** The newest schema version this package knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0

export interface MigrateResult {
  /** Versions this call applied, in order; empty when the schema was up to date. */
  applied: number[]
  /** The schema's version after the call (newer than `SCHEMA_VERSION` when a newer release migrated it). */
  version: number
}

/**
 * Creates the schema and its tables, or brings them up to date: idempotent, and safe to call
 * from every instance at once (they wait for each other's transaction and apply each step once).
 * Needs a `pg.Pool` (a transaction takes one of its clients) or a `PGlite` instance, and a role
 * allowed to create tables in the schema (and the schema itself, when missing).
 */
export async function migrate(db: Database, options: PostgresStoreOptions = {}): Promise<MigrateResult> {
  return migrateTo(db, options, SCHEMA_VERSION)
}

/**
 * `migrate()` stopping after step `target`: how the tests build a schema as an earlier release
 * left it, to upgrade it. Not exported from the package: a schema is only ever brought up to date.
 */
export async function migrateTo(
  db: Database,
  options: PostgresStoreOptions,
  target: number,
): Promise<MigrateResult> {
  const schema = schemaName(options)
  const s = `"${schema}"`
  try {
    return await inTransaction(db, async (tx) => {
      // Per schema: instances starting together queue here, and each finds the work of the first.
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))', [
        `org-auth migrate ${schema}`,
      ])
      // Checked before creating: a role without CREATE on the database can still migrate a
      // schema an administrator created for it.
      const exists = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1::text', [schema])
      if (exists.rows.length === 0) await tx.query(`CREATE SCHEMA ${s}`)
      await tx.query(
        `CREATE TABLE IF NOT EXISTS ${s}.org_auth_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
      )
      const done = await tx.query(`SELECT version FROM ${s}.org_auth_migrations`)
      const versions = new Set(done.rows.map((row: { version: unknown }) => Number(row.version)))
      const applied: number[] = []
      for (const migration of MIGRATIONS) {
        if (versions.has(migration.version) || migration.version > target) continue
        for (const statement of migration.up(s)) await tx.query(statement)
        await tx.query(
          `INSERT INTO ${s}.org_auth_migrations (version, name) VALUES ($1::integer, $2::text)`,
          [migration.version, migration.name],
        )
        applied.push(migration.version)
        versions.add(migration.version)
      }
      return { applied, version: Math.max(0, ...versions) }
    })
  } catch (error) {
    throw new PostgresStoreError('migrate its schema', redacted(error))
  }
}

/**
 * Runs `body` in one transaction: PGlite's `transaction()` (which holds the instance's other
 * queries back), or BEGIN … COMMIT on one client of a pool (a pool's `query` may use a different
 * connection for every statement).
 */
async function inTransaction<T>(db: Database, body: (tx: Queryable) => Promise<T>): Promise<T> {
  if ('transaction' in db && typeof db.transaction === 'function') return db.transaction(body)
  const client = await (db as Exclude<Database, { transaction: unknown }>).connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    try {
      const result = await body(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        // A client that cannot roll back goes back to the pool destroyed, not reused mid-transaction.
        broken = rollback instanceof Error ? rollback : new Error('ROLLBACK failed')
      })
      throw error
    }
  } finally {
    client.release(broken)
  }
}
