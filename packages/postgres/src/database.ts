/**
 * What the stores need from a PostgreSQL connection, the error they fail with, and the helpers
 * they share (schema names, ids as SQL text, JSON read back).
 *
 * The stores send one statement per operation through `query(text, params)`, which `pg.Pool`,
 * `pg.Client`, a pool's client and a `PGlite` instance all have, with the same SQL: every
 * check-then-act is a single statement (`INSERT … ON CONFLICT … RETURNING`, `UPDATE … RETURNING`,
 * `DELETE … RETURNING`), so it is atomic whether the pool runs statements in parallel on several
 * connections or PGlite runs them one at a time. Only `migrate()` needs a transaction.
 */
import { AuthError, ConfigurationError } from '@org/auth-core'

/**
 * Anything that runs one parameterised statement: a `pg.Pool` (the usual choice), a `pg.Client`,
 * a client checked out of a pool, a `PGlite` instance or one of its transactions.
 */
export interface Queryable {
  // biome-ignore lint/suspicious/noExplicitAny: pg and PGlite type their rows `any`; rows are checked where read
  query(text: string, params?: any[]): Promise<{ rows: any[] }>
}

/** A `pg.Pool`: a transaction runs on one of its clients, checked out with `connect()`. */
export interface PoolLike extends Queryable {
  connect(): Promise<Queryable & { release(error?: Error | boolean): void }>
}

/** A `PGlite` instance: one connection, whose `transaction()` holds other queries back until it ends. */
export interface TransactionalLike extends Queryable {
  transaction<T>(callback: (tx: Queryable) => Promise<T>): Promise<T>
}

/** What `migrate()` runs on: it needs a transaction, so a pool or a PGlite instance. */
export type Database = PoolLike | TransactionalLike

export interface PostgresStoreOptions {
  /**
   * The schema holding this package's tables (`migrate()` creates it), so several applications or
   * environments share one database without reading each other's state. Lower-case letters,
   * digits and `_`, at most 63 characters, not starting with a digit or `pg_`. Default: `'org_auth'`.
   */
  schema?: string
}

/**
 * PostgreSQL failed to answer (a connection refused or lost, a closed pool, missing tables, an
 * error reply): `ERR_STORE_UNAVAILABLE` (503), so requests that need the store fail closed.
 * A row of this package's tables holding a value it did not write: `ERR_STORE_INVALID_VALUE` (500).
 */
export class PostgresStoreError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    Object.defineProperty(PostgresStoreError.prototype, 'name', {
      value: 'PostgresStoreError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(PostgresStoreError.prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-postgres/PostgresStoreError',
    })
  }
  constructor(operation: string, cause: unknown, invalidValue = false) {
    // The message names the operation only: parameters hold session ids, tokens and secrets, and
    // server messages may echo them ("Key (id)=(…) already exists").
    super(
      invalidValue ? 'ERR_STORE_INVALID_VALUE' : 'ERR_STORE_UNAVAILABLE',
      invalidValue
        ? `The PostgreSQL store read a value it did not write (${operation})`
        : `The PostgreSQL store failed to ${operation}${missingTables(cause) ? ': its tables are missing (run migrate())' : ''}`,
      invalidValue ? 500 : 503,
      invalidValue ? 'server_error' : 'temporarily_unavailable',
      { cause },
    )
  }
}

/** SQLSTATE 42P01 (undefined table) or 3F000 (undefined schema): `migrate()` has not run. */
function missingTables(cause: unknown): boolean {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined
  return code === '42P01' || code === '3F000'
}

const SCHEMA = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/

/** The schema option, checked once, as a quoted identifier ready for SQL text. */
export function schemaOf(options: PostgresStoreOptions = {}): string {
  return `"${schemaName(options)}"`
}

/** The schema option, checked once, unquoted. */
export function schemaName(options: PostgresStoreOptions = {}): string {
  const schema = options.schema ?? 'org_auth'
  if (typeof schema !== 'string' || !SCHEMA.test(schema)) {
    throw new ConfigurationError(
      'PostgreSQL "schema" must be lower-case letters, digits and "_" (at most 63, not starting with a digit or "pg_")',
    )
  }
  return schema
}

/**
 * An id (session id, `sub`, key, provider or user id) as PostgreSQL text: text cannot hold NUL,
 * and a lone UTF-16 surrogate would reach the server as U+FFFD (the driver encodes UTF-8),
 * merging distinct ids. Those, and `%` itself, become `%` + four hex digits of the code unit;
 * everything else, non-ASCII text and surrogate pairs included, is kept as is and stays readable.
 */
export function idOf(value: string): string {
  return value.replace(
    /[%\0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** Runs one statement; any failure becomes a `PostgresStoreError` (503) naming the operation. */
export async function run<Row = Record<string, unknown>>(
  db: Queryable,
  operation: string,
  text: string,
  params: unknown[],
): Promise<Row[]> {
  try {
    return (await db.query(text, params)).rows as Row[]
  } catch (error) {
    throw new PostgresStoreError(operation, redacted(error))
  }
}

// What a driver's error keeps as the `cause`: what identifies the failure, never what quotes
// values. PGlite's errors carry the statement's `params`; the server's `detail` quotes keys
// ("Key (id)=(…) already exists") and rows ("Failing row contains …").
const KEPT = ['code', 'errno', 'syscall', 'severity', 'constraint', 'schema', 'table', 'column', 'routine']

/** A copy of a driver error without its parameters, the server's `detail`, or the statement. */
export function redacted(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('A non-error was thrown')
  const copy = new Error(error.message) as Error & Record<string, unknown>
  copy.name = error.name
  if (error.stack !== undefined) copy.stack = error.stack
  for (const key of KEPT) {
    const value = (error as unknown as Record<string, unknown>)[key]
    if (typeof value === 'string' || typeof value === 'number') copy[key] = value
  }
  return copy
}

/** An expiry in epoch seconds, as `to_timestamp($n::float8)` takes it. */
export function epochSeconds(expiresAt: number): number {
  if (!Number.isFinite(expiresAt)) {
    throw new AuthError('ERR_STORE_INPUT', 'An expiry must be a finite number of epoch seconds', 500)
  }
  return expiresAt
}

/**
 * JSON read back from a `text` column (JSON, not `jsonb`: jsonb refuses `\u0000` and lone
 * surrogate escapes, which session claims and ids may hold). A value this package did not write
 * is refused, not trusted.
 */
export function parseJson<T>(value: unknown, operation: string): T {
  if (typeof value !== 'string') throw new PostgresStoreError(operation, new TypeError('not text'), true)
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    throw new PostgresStoreError(operation, error, true)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PostgresStoreError(operation, new TypeError('not a JSON object'), true)
  }
  return parsed as T
}

/** A count or number column as the drivers return it (pg: `int8`/`numeric` as strings). */
export function numberOf(value: unknown, operation: string): number {
  const number = typeof value === 'string' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new PostgresStoreError(operation, new TypeError('not a number'), true)
  }
  return number
}
