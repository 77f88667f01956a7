import type { ClientRecord, ClientStore, StoredClient } from '@org/auth-server'
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

interface Statements {
  insert: string
  get: string
  list: string
  getWithSecrets: string
  replace: string
  rotateSecret: string
}

type Row = Record<string, unknown>

/**
 * `@org/auth-server`'s `ClientStore` on PostgreSQL: the token server's clients, one row of
 * `<schema>.clients` each, shared by every instance and by the administration commands. Secrets
 * are never here, only their salted hashes. Every method is one statement: `replace` and
 * `rotateSecret` are compare-and-set `UPDATE`s (the row lock orders racing writers, and each
 * re-checks its condition on the row the winner left), and the grace period ends on the
 * database's clock, the same for every instance.
 */
export class PostgresClientStore implements ClientStore {
  readonly #db: Queryable
  readonly #sql: Statements

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    this.#sql = {
      insert: `INSERT INTO ${s}.clients (id, owner, record, revision, secret_hash)
        VALUES ($1::text, $2::text, $3::text, $4::integer, $5::text)
        ON CONFLICT (id) DO NOTHING RETURNING 1 AS inserted`,
      get: `SELECT record, revision FROM ${s}.clients WHERE id = $1::text`,
      // "C": the order of the escaped ids' code points, whatever the database's collation.
      list: `SELECT record, revision FROM ${s}.clients
        WHERE $1::text IS NULL OR owner = $1::text ORDER BY id COLLATE "C"`,
      getWithSecrets: `SELECT record, revision, secret_hash,
          CASE WHEN previous_expires_at > now() THEN previous_secret_hash END AS previous_secret_hash
        FROM ${s}.clients WHERE id = $1::text`,
      replace: `UPDATE ${s}.clients SET record = $2::text, owner = $3::text, revision = $4::integer
        WHERE id = $1::text AND revision = $5::integer RETURNING 1 AS replaced`,
      // A grace of 0 clears the previous secret, so a rotation also ends an earlier grace.
      rotateSecret: `UPDATE ${s}.clients SET
          previous_secret_hash = CASE WHEN $4::integer > 0 THEN secret_hash END,
          previous_expires_at = CASE WHEN $4::integer > 0 THEN now() + $4::integer * interval '1 second' END,
          secret_hash = $3::text
        WHERE id = $1::text AND secret_hash = $2::text RETURNING 1 AS rotated`,
    }
  }

  async insert(client: ClientRecord, secretHash: string | null): Promise<boolean> {
    const rows = await run(this.#db, 'add a client', this.#sql.insert, [
      idOf(client.clientId),
      client.owner === null ? null : idOf(client.owner),
      recordText(client),
      client.revision,
      secretHash,
    ])
    return rows.length === 1
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const operation = 'read a client'
    const [row] = await run(this.#db, operation, this.#sql.get, [idOf(clientId)])
    return row === undefined ? undefined : clientOf(row, operation)
  }

  async list(filter: { owner?: string } = {}): Promise<ClientRecord[]> {
    const operation = 'list clients'
    const owner = filter.owner === undefined ? null : idOf(filter.owner)
    const rows = await run(this.#db, operation, this.#sql.list, [owner])
    return rows.map((row) => clientOf(row, operation))
  }

  async getWithSecrets(clientId: string): Promise<StoredClient | undefined> {
    const operation = 'read a client secret'
    const [row] = await run(this.#db, operation, this.#sql.getWithSecrets, [idOf(clientId)])
    if (row === undefined) return undefined
    return {
      client: clientOf(row, operation),
      secretHash: hashOf(row.secret_hash, operation),
      previousSecretHash: hashOf(row.previous_secret_hash, operation),
    }
  }

  async replace(client: ClientRecord, expectedRevision: number): Promise<boolean> {
    const rows = await run(this.#db, 'change a client', this.#sql.replace, [
      idOf(client.clientId),
      recordText(client),
      client.owner === null ? null : idOf(client.owner),
      client.revision,
      expectedRevision,
    ])
    return rows.length === 1
  }

  async rotateSecret(
    clientId: string,
    expectedHash: string,
    newHash: string,
    graceSeconds: number,
  ): Promise<boolean> {
    const rows = await run(this.#db, 'rotate a client secret', this.#sql.rotateSecret, [
      idOf(clientId),
      expectedHash,
      newHash,
      graceSeconds,
    ])
    return rows.length === 1
  }
}

/** The record as stored: JSON without `revision`, which has its own column. */
function recordText(client: ClientRecord): string {
  const { revision: _, ...record } = client
  return JSON.stringify(record)
}

function clientOf(row: Row, operation: string): ClientRecord {
  return {
    ...parseJson<Omit<ClientRecord, 'revision'>>(row.record, operation),
    revision: numberOf(row.revision, operation),
  }
}

function hashOf(value: unknown, operation: string): string | null {
  if (value === null || typeof value === 'string') return value
  throw new PostgresStoreError(operation, new TypeError('not text'), true)
}
