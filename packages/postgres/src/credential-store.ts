import type { CredentialPage, CredentialStore, CredentialUse, PasskeyCredential } from '@org/auth-passkeys'
import {
  idOf,
  numberOf,
  PostgresStoreError,
  type PostgresStoreOptions,
  parseJson,
  type Queryable,
  run,
  schemaOf,
} from './database.js'

type Row = Record<string, unknown>

/** The columns that change after registration; the rest of the record is JSON written once. */
const MUTABLE = ['counter', 'name', 'backedUp', 'lastUsedAt'] as const
type Immutable = Omit<PasskeyCredential, (typeof MUTABLE)[number]>

/**
 * `@org/auth-passkeys`'s `CredentialStore` on PostgreSQL: one row of
 * `<schema>.passkey_credentials` per passkey, shared by every instance. The credential id is the
 * primary key, so `create` (`INSERT … ON CONFLICT DO NOTHING`) registers an id once across all
 * users whoever races; `recordUse` is a compare-and-set `UPDATE … WHERE counter = $expected`, and
 * the row lock makes a racing writer re-check against the counter the winner left.
 */
export class PostgresCredentialStore implements CredentialStore {
  readonly #db: Queryable
  readonly #sql: Record<'create' | 'get' | 'list' | 'recordUse' | 'rename' | 'delete', string>

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    const columns = 'record, counter, name, backed_up, last_used_at'
    this.#sql = {
      create: `INSERT INTO ${s}.passkey_credentials
          (id, user_id, created_at, record, counter, name, backed_up, last_used_at)
        VALUES ($1::text, $2::text, $3::float8, $4::text, $5::bigint, $6::text, $7::boolean, $8::float8)
        ON CONFLICT (id) DO NOTHING RETURNING 1 AS created`,
      get: `SELECT ${columns} FROM ${s}.passkey_credentials WHERE id = $1::text`,
      // One statement for the page and the total, so an empty page still reports the total.
      list: `WITH mine AS (SELECT * FROM ${s}.passkey_credentials WHERE user_id = $1::text)
        SELECT (SELECT count(*) FROM mine) AS total, page.* FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
          SELECT ${columns} FROM mine ORDER BY created_at, id COLLATE "C" OFFSET $2::integer LIMIT $3::integer
        ) AS page ON true`,
      recordUse: `UPDATE ${s}.passkey_credentials
        SET counter = $3::bigint, backed_up = $4::boolean, last_used_at = $5::float8
        WHERE id = $1::text AND counter = $2::bigint RETURNING 1 AS updated`,
      rename: `UPDATE ${s}.passkey_credentials SET name = $2::text WHERE id = $1::text RETURNING 1 AS renamed`,
      delete: `DELETE FROM ${s}.passkey_credentials WHERE id = $1::text RETURNING 1 AS deleted`,
    }
  }

  async create(credential: PasskeyCredential): Promise<boolean> {
    const { counter, name, backedUp, lastUsedAt, ...immutable } = credential
    const rows = await run(this.#db, 'register a passkey', this.#sql.create, [
      idOf(credential.id),
      idOf(credential.userId),
      credential.createdAt,
      JSON.stringify(immutable satisfies Immutable),
      counter,
      name,
      backedUp,
      lastUsedAt,
    ])
    return rows.length === 1
  }

  async get(id: string): Promise<PasskeyCredential | undefined> {
    const operation = 'read a passkey'
    const [row] = await run(this.#db, operation, this.#sql.get, [idOf(id)])
    return row === undefined ? undefined : credentialOf(row, operation)
  }

  async list(userId: string, offset: number, limit: number): Promise<CredentialPage> {
    const operation = 'list passkeys'
    const rows = await run(this.#db, operation, this.#sql.list, [idOf(userId), offset, limit])
    const total = numberOf(rows[0]?.total ?? 0, operation)
    const credentials = rows.filter((row) => row.record !== null).map((row) => credentialOf(row, operation))
    return { credentials, total }
  }

  async recordUse(id: string, expectedCounter: number, use: CredentialUse): Promise<boolean> {
    const rows = await run(this.#db, 'record a passkey use', this.#sql.recordUse, [
      idOf(id),
      expectedCounter,
      use.counter,
      use.backedUp,
      use.lastUsedAt,
    ])
    return rows.length === 1
  }

  async rename(id: string, name: string): Promise<boolean> {
    return (await run(this.#db, 'rename a passkey', this.#sql.rename, [idOf(id), name])).length === 1
  }

  async delete(id: string): Promise<boolean> {
    return (await run(this.#db, 'delete a passkey', this.#sql.delete, [idOf(id)])).length === 1
  }
}

function credentialOf(row: Row, operation: string): PasskeyCredential {
  const immutable = parseJson<Immutable>(row.record, operation)
  if (typeof row.name !== 'string' || typeof row.backed_up !== 'boolean') {
    throw new PostgresStoreError(operation, new TypeError('not a passkey row'), true)
  }
  return {
    ...immutable,
    transports: Array.isArray(immutable.transports) ? [...immutable.transports] : [],
    counter: numberOf(row.counter, operation),
    name: row.name,
    backedUp: row.backed_up,
    lastUsedAt: row.last_used_at === null ? null : numberOf(row.last_used_at, operation),
  }
}
