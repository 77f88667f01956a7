/**
 * An embedded PostgreSQL (PGlite: Postgres compiled to WebAssembly, in this process), migrated
 * and ready for the stores: the zero-setup default for development, tests, demos and a single
 * instance. The stores send it the same SQL as a server; for several instances, use a server.
 */
import { ConfigurationError } from '@org/auth-core'
import type { Queryable, TransactionalLike } from './database.js'
import { migrate } from './migrate.js'

/** The PGlite instance `openEmbeddedDatabase` resolves (typed to what the stores use). */
export interface EmbeddedDatabase extends TransactionalLike {
  /** Closes the database; a directory-backed one is flushed to disk first. */
  close(): Promise<void>
}

export interface EmbeddedDatabaseOptions {
  /**
   * Where PGlite keeps its files (a directory, created when missing), so sessions survive a
   * restart; one process at a time may open it. Default: in memory, lost when the process ends.
   */
  dataDir?: string
  /** The schema `migrate()` creates and the stores use. Default: `'org_auth'`. */
  schema?: string
}

interface PGliteModule {
  PGlite: { create(dataDir?: string): Promise<EmbeddedDatabase & Queryable> }
}

/**
 * Opens (or creates) an embedded database with `@electric-sql/pglite` (an optional peer
 * dependency: install it to use this) and runs `migrate()` on it.
 */
export async function openEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const { dataDir } = options
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new ConfigurationError('"dataDir" must be a non-empty path')
  }
  let pglite: PGliteModule
  try {
    pglite = (await import('@electric-sql/pglite')) as unknown as PGliteModule
  } catch (error) {
    throw new ConfigurationError(
      'openEmbeddedDatabase needs the optional peer dependency @electric-sql/pglite: install it',
      { cause: error },
    )
  }
  const db = await pglite.PGlite.create(dataDir)
  try {
    await migrate(db, options.schema === undefined ? {} : { schema: options.schema })
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
  return db
}
