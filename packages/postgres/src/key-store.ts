import type { KeyRecord, KeyStore, SigningAlgorithm } from '@org/auth-server'
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
  retire: string
}

type Row = Record<string, unknown>

// Epoch milliseconds as `timestamptz` (microsecond precision keeps them exact) and back.
const toTime = (n: number) => `to_timestamp($${n}::float8 / 1000)`
const COLUMNS = `kid, alg, public_jwk, encrypted_private_key,
  round(extract(epoch FROM created_at) * 1000)::float8 AS created_at,
  round(extract(epoch FROM activates_at) * 1000)::float8 AS activates_at,
  round(extract(epoch FROM retired_at) * 1000)::float8 AS retired_at,
  round(extract(epoch FROM expires_at) * 1000)::float8 AS expires_at`

/**
 * `@org/auth-server`'s `KeyStore` on PostgreSQL: the token server's signing keys, one row of
 * `<schema>.signing_keys` each, shared by every instance and the administration commands. Private
 * keys arrive sealed by the key ring; this store never holds one in clear, nor the key that
 * opens them. Every method is one statement; `retire` moves the times only earlier
 * (`LEAST`, which skips NULLs), so racing retirements keep the earliest.
 */
export class PostgresKeyStore implements KeyStore {
  readonly #db: Queryable
  readonly #sql: Statements

  constructor(db: Queryable, options: PostgresStoreOptions = {}) {
    this.#db = db
    const s = schemaOf(options)
    this.#sql = {
      insert: `INSERT INTO ${s}.signing_keys (kid, alg, public_jwk, encrypted_private_key, created_at,
          activates_at, retired_at, expires_at)
        VALUES ($1::text, $2::text, $3::text, $4::text, ${toTime(5)}, ${toTime(6)}, ${toTime(7)}, ${toTime(8)})
        ON CONFLICT (kid) DO NOTHING RETURNING 1 AS inserted`,
      get: `SELECT ${COLUMNS} FROM ${s}.signing_keys WHERE kid = $1::text`,
      // "C": the order of the escaped kids' code units, as the memory store sorts them.
      list: `SELECT ${COLUMNS} FROM ${s}.signing_keys ORDER BY activates_at, kid COLLATE "C"`,
      retire: `UPDATE ${s}.signing_keys SET
          retired_at = LEAST(retired_at, ${toTime(2)}),
          expires_at = LEAST(expires_at, ${toTime(3)})
        WHERE kid = $1::text RETURNING 1 AS retired`,
    }
  }

  async insert(record: KeyRecord): Promise<boolean> {
    const rows = await run(this.#db, 'add a signing key', this.#sql.insert, [
      idOf(record.kid),
      record.alg,
      JSON.stringify(record.publicJwk),
      record.encryptedPrivateKey,
      record.createdAt,
      record.activatesAt,
      record.retiredAt,
      record.expiresAt,
    ])
    return rows.length === 1
  }

  async get(kid: string): Promise<KeyRecord | undefined> {
    const operation = 'read a signing key'
    const [row] = await run(this.#db, operation, this.#sql.get, [idOf(kid)])
    return row === undefined ? undefined : recordOf(row, operation)
  }

  async list(): Promise<KeyRecord[]> {
    const operation = 'list signing keys'
    const rows = await run(this.#db, operation, this.#sql.list, [])
    return rows.map((row) => recordOf(row, operation))
  }

  async retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean> {
    const rows = await run(this.#db, 'retire a signing key', this.#sql.retire, [
      idOf(kid),
      retiredAt,
      expiresAt,
    ])
    return rows.length === 1
  }
}

function textOf(value: unknown, operation: string): string {
  if (typeof value === 'string') return value
  throw new PostgresStoreError(operation, new TypeError('not text'), true)
}

function timeOf(value: unknown, operation: string): number | null {
  return value === null ? null : numberOf(value, operation)
}

/** The escaped kid read back: `%` + four hex digits of a code unit, as `idOf` wrote it. */
function unescapeId(value: string): string {
  return value.replace(/%([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

function recordOf(row: Row, operation: string): KeyRecord {
  return {
    kid: unescapeId(textOf(row.kid, operation)),
    alg: textOf(row.alg, operation) as SigningAlgorithm,
    publicJwk: parseJson(row.public_jwk, operation),
    encryptedPrivateKey: textOf(row.encrypted_private_key, operation),
    createdAt: numberOf(row.created_at, operation),
    activatesAt: numberOf(row.activates_at, operation),
    retiredAt: timeOf(row.retired_at, operation),
    expiresAt: timeOf(row.expires_at, operation),
  }
}
