/**
 * What every command gets: the caller's streams and environment, the common options, the
 * database (opened on first use and closed when the command ends) and the output helpers.
 */
import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type Database, migrate } from '@org/auth-postgres'
import pg from 'pg'
import { CliError, EXIT } from './errors.js'

export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  /** The environment (`DATABASE_URL`, `ORG_AUTH_KEK`). Default: `process.env`. */
  env?: Record<string, string | undefined>
  /** Ends `serve` (the bin aborts it on SIGINT and SIGTERM). Default: `serve` runs until the process ends. */
  signal?: AbortSignal
  /** What `--jwks -` reads. Default: `process.stdin`. */
  stdin?: AsyncIterable<string | Uint8Array>
}

/** The options every command that touches the database takes. */
export interface CommonOptions {
  json?: boolean
  schema: string
  dataDir: string
}

export const DEFAULT_SCHEMA = 'org_auth'
export const DEFAULT_DATA_DIR = './.org-auth/pgdata'

export interface Opened {
  db: Database
  /** `postgres` (DATABASE_URL) or `pglite` (the embedded database in --data-dir). */
  kind: 'postgres' | 'pglite'
}

export class Context {
  readonly io: CliIo
  readonly env: Record<string, string | undefined>
  #opened: { db: Database; kind: Opened['kind']; close: () => Promise<void> } | undefined

  constructor(io: CliIo) {
    this.io = io
    this.env = io.env ?? process.env
  }

  /**
   * The database: a `pg` pool on `DATABASE_URL` when it is set, else an embedded PGlite in
   * `dataDir`. The embedded one is migrated on opening (zero set-up, as `openEmbeddedDatabase`),
   * unless `migrateEmbedded` is false (`org-auth migrate` reports what it applies itself).
   */
  async database(
    options: CommonOptions,
    settings: { poolSize?: number; migrateEmbedded?: boolean } = {},
  ): Promise<Opened> {
    if (this.#opened !== undefined) return this.#opened
    const url = this.env.DATABASE_URL
    if (url !== undefined && url !== '') {
      const pool = new pg.Pool({
        connectionString: url,
        max: settings.poolSize ?? 2,
        connectionTimeoutMillis: 10_000,
      })
      // An idle connection the server drops emits 'error' on the pool: unhandled, it would end the
      // process; the next query reports the outage instead.
      pool.on('error', () => {})
      this.#opened = { db: pool, kind: 'postgres', close: () => pool.end() }
    } else {
      // Loaded only when used: `--help` and the pg path need none of its WebAssembly.
      const { PGlite } = await import('@electric-sql/pglite')
      let db: Awaited<ReturnType<typeof PGlite.create>>
      try {
        // PGlite creates the directory itself, but not its parents.
        mkdirSync(dirname(resolve(options.dataDir)), { recursive: true })
        db = await PGlite.create(options.dataDir)
      } catch (error) {
        const code = (error as { code?: unknown }).code
        throw new CliError(
          'ERR_DATA_DIR',
          `Cannot open the embedded database in ${options.dataDir}${typeof code === 'string' ? ` (${code})` : ''}`,
          EXIT.failure,
        )
      }
      this.#opened = { db, kind: 'pglite', close: () => db.close() }
      if (settings.migrateEmbedded !== false) await migrate(db, { schema: options.schema })
    }
    return this.#opened
  }

  /** Closes the database if a command opened it (PGlite flushes its files here). */
  async close(): Promise<void> {
    const opened = this.#opened
    this.#opened = undefined
    await opened?.close()
  }

  /** The JSON document in `--json` mode, else the text lines. */
  print(options: { json?: boolean }, value: unknown, text: () => string): void {
    this.io.stdout(options.json === true ? `${JSON.stringify(value)}\n` : `${text()}\n`)
  }
}
