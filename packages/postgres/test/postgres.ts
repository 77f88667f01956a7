/**
 * The databases of the tests: an embedded PGlite always, and the PostgreSQL server at
 * `DATABASE_URL` when it is set (.ci/run sets it). Without it the server suites skip and say so.
 * Every store gets a fresh schema (migrated), named under one random prefix per test file and
 * dropped after the file.
 */
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll } from 'vitest'
import { migrate, type Queryable } from '../src/index.js'

export const DATABASE_URL = process.env.DATABASE_URL
export const skip = DATABASE_URL === undefined || DATABASE_URL === ''
if (skip) {
  console.log(
    'DATABASE_URL is not set: skipped the tests against a PostgreSQL server (the store contracts, ' +
      'concurrent migrations and the pool cases); the same contracts ran on the embedded PGlite',
  )
}

let files = 0
/** A schema prefix no other file of this run (or any other run) shares. */
function runPrefix(): string {
  return `org_auth_test_${randomBytes(4).toString('hex')}_${++files}`
}

export interface TestDatabase<D> {
  /** The database of this file's tests (after `beforeAll`). */
  db(): D
  /** A new schema, migrated: `{ schema }` for a store's options. */
  fresh(): Promise<{ schema: string }>
  /** A new schema name, not migrated. */
  name(): string
}

function schemas<D extends pg.Pool | PGlite>(
  open: () => Promise<D>,
  close: (db: D) => Promise<void>,
): TestDatabase<D> {
  const prefix = runPrefix()
  const names: string[] = []
  let db: D | undefined
  beforeAll(async () => {
    db = await open()
  })
  afterAll(async () => {
    if (db === undefined) return
    const queryable: Queryable = db
    for (const schema of names) await queryable.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await close(db)
  })
  const connected = () => {
    if (db === undefined) throw new Error('the database is not open')
    return db
  }
  const name = () => {
    const schema = `${prefix}_${names.length + 1}`
    names.push(schema)
    return schema
  }
  return {
    db: connected,
    name,
    fresh: async () => {
      const schema = name()
      await migrate(connected(), { schema })
      return { schema }
    },
  }
}

/** An in-memory PGlite for the file's tests. */
export function usePGlite(): TestDatabase<PGlite> {
  return schemas(
    () => PGlite.create(),
    (db) => db.close(),
  )
}

/** A pool on `DATABASE_URL` for the file's tests (nothing is opened when it is unset). */
export function usePool(): TestDatabase<pg.Pool> {
  return schemas(
    async () => new pg.Pool({ connectionString: DATABASE_URL, max: 10 }),
    (db) => db.end(),
  )
}

/** A pool per caller, as separate instances of an application have. */
export function newPool(max = 2): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max })
}
