/** migrate(): versioned, idempotent, one transaction per call, once across concurrent instances. */
import { PGlite } from '@electric-sql/pglite'
import { sessionRecordOf } from '@org/test-kit/store-contracts'
import { describe, expect, it } from 'vitest'
import {
  type Database,
  migrate,
  openEmbeddedDatabase,
  PostgresClientStore,
  PostgresKeyStore,
  PostgresRevocationStore,
  PostgresSessionStore,
  type Queryable,
  SCHEMA_VERSION,
} from '../src/index.js'
import { migrateTo } from '../src/migrate.js'
import { newPool, skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const TABLES = [
  'clients',
  'delegation_credentials',
  'delegation_sessions',
  'one_time',
  'org_auth_migrations',
  'passkey_credentials',
  'rate_limits',
  'revoked_tokens',
  'sessions',
  'signing_keys',
]

async function tablesOf(db: Queryable, schema: string): Promise<string[]> {
  const { rows } = await db.query(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1::text ORDER BY table_name',
    [schema],
  )
  return rows.map((row: { table_name: string }) => row.table_name)
}

function cases(label: string, database: TestDatabase<Database>): void {
  const { db, name } = database

  describe(label, () => {
    it('creates the schema and its tables once, and records the version', async () => {
      const schema = name()
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [1, 2, 3, 4, 5, 6], version: 6 })
      expect(SCHEMA_VERSION).toBe(6)
      expect(await tablesOf(db(), schema)).toEqual(TABLES)
      const { rows } = await db().query(
        `SELECT version, name, applied_at <= now() AS past FROM "${schema}".org_auth_migrations ORDER BY version`,
      )
      expect(rows).toEqual([
        { version: 1, name: 'stores', past: true },
        { version: 2, name: 'sessions idp_sid', past: true },
        { version: 3, name: 'clients', past: true },
        { version: 4, name: 'signing keys', past: true },
        { version: 5, name: 'revoked tokens', past: true },
        { version: 6, name: 'passkey credentials', past: true },
      ])
      // Idempotent: nothing left to apply, nothing changed.
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [], version: 6 })
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [], version: 6 })
      const again = await db().query(`SELECT count(*)::integer AS n FROM "${schema}".org_auth_migrations`)
      expect(again.rows).toEqual([{ n: 6 }])
    })

    it('applies each step once when several calls start together', async () => {
      const schema = name()
      const results = await Promise.all(Array.from({ length: 6 }, () => migrate(db(), { schema })))
      expect(results.filter((result) => result.applied.length > 0)).toEqual([
        { applied: [1, 2, 3, 4, 5, 6], version: 6 },
      ])
      expect(results.every((result) => result.version === 6)).toBe(true)
    })

    it('migrates a schema that already exists (created by an administrator)', async () => {
      const schema = name()
      await db().query(`CREATE SCHEMA "${schema}"`)
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [1, 2, 3, 4, 5, 6], version: 6 })
      expect(await tablesOf(db(), schema)).toEqual(TABLES)
    })

    it('rolls a failed migration back whole, and the database stays usable', async () => {
      const schema = name()
      await db().query(`CREATE SCHEMA "${schema}"`)
      // A table in the way of the first step's later statements.
      await db().query(`CREATE TABLE "${schema}".rate_limits (x integer)`)
      await expect(migrate(db(), { schema })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: 'The PostgreSQL store failed to migrate its schema',
        cause: { code: '42P07' },
      })
      // Neither the tables created before the failure nor the version table remain.
      expect(await tablesOf(db(), schema)).toEqual(['rate_limits'])
      await db().query(`DROP TABLE "${schema}".rate_limits`)
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [1, 2, 3, 4, 5, 6], version: 6 })
    })

    it('upgrades a version 1 schema: its sessions stay, found by sid once rewritten', async () => {
      const schema = name()
      const s = `"${schema}"`
      await expect(migrateTo(db(), { schema }, 1)).resolves.toEqual({ applied: [1], version: 1 })
      const columns = async () =>
        (
          await db().query(
            `SELECT column_name FROM information_schema.columns
             WHERE table_schema = $1::text AND table_name = 'sessions' ORDER BY column_name`,
            [schema],
          )
        ).rows.map((row: { column_name: string }) => row.column_name)
      expect(await columns()).toEqual(['data', 'expires_at', 'id', 'sub'])
      // A session as release 1 wrote it (its statement, without idp_sid).
      const expiresAt = Math.floor(Date.now() / 1000) + 3600
      const old = { ...sessionRecordOf('old', 'alice', expiresAt), idpSid: 'sid-1' }
      await db().query(
        `INSERT INTO ${s}.sessions (id, sub, data, expires_at) VALUES ($1, $2, $3, to_timestamp($4::float8))`,
        ['old', 'alice', JSON.stringify(old), expiresAt],
      )

      // This release's store on the old schema: refused, saying what to do.
      const early = new PostgresSessionStore(db(), { schema })
      await expect(early.set('new', { ...old, id: 'new' })).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: 'The PostgreSQL store failed to write a session: its tables are out of date (run migrate())',
      })
      await expect(early.get('old')).resolves.toEqual(old)

      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [2, 3, 4, 5, 6], version: 6 })
      expect(await columns()).toEqual(['data', 'expires_at', 'id', 'idp_sid', 'sub'])
      const indexes = await db().query('SELECT indexname FROM pg_indexes WHERE schemaname = $1::text', [
        schema,
      ])
      expect(indexes.rows.map((row: { indexname: string }) => row.indexname)).toContain('sessions_idp_sid')
      const store = new PostgresSessionStore(db(), { schema })
      await expect(store.get('old')).resolves.toEqual(old)
      await expect(store.listUserSessions('alice')).resolves.toEqual([old])
      // Its idp_sid is NULL: not found by sid until its next write, as documented.
      await expect(store.listSessionsByIdpSid('sid-1')).resolves.toEqual([])
      await store.set('new', { ...sessionRecordOf('new', 'bob', expiresAt), idpSid: 'sid-1' })
      await expect(store.update('old', { ...old, lastSeenAt: expiresAt - 60 })).resolves.toBe(true)
      const found = await store.listSessionsByIdpSid('sid-1')
      expect(found.map((session) => session.id).sort()).toEqual(['new', 'old'])
    })

    it('upgrades a version 2 schema with the clients table; the client store says what to do before', async () => {
      const schema = name()
      await expect(migrateTo(db(), { schema }, 2)).resolves.toEqual({ applied: [1, 2], version: 2 })
      const store = new PostgresClientStore(db(), { schema })
      await expect(store.get('c1')).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: 'The PostgreSQL store failed to read a client: its tables are missing (run migrate())',
      })
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [3, 4, 5, 6], version: 6 })
      expect(await tablesOf(db(), schema)).toEqual(TABLES)
      const indexes = await db().query('SELECT indexname FROM pg_indexes WHERE schemaname = $1::text', [
        schema,
      ])
      expect(indexes.rows.map((row: { indexname: string }) => row.indexname)).toContain('clients_owner')
      await expect(store.get('c1')).resolves.toBeUndefined()
    })

    it('upgrades a version 3 schema with the signing keys table; the key store says what to do before', async () => {
      const schema = name()
      await expect(migrateTo(db(), { schema }, 3)).resolves.toEqual({ applied: [1, 2, 3], version: 3 })
      const store = new PostgresKeyStore(db(), { schema })
      await expect(store.list()).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message: 'The PostgreSQL store failed to list signing keys: its tables are missing (run migrate())',
      })
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [4, 5, 6], version: 6 })
      expect(await tablesOf(db(), schema)).toEqual(TABLES)
      await expect(store.list()).resolves.toEqual([])
    })

    it('upgrades a version 4 schema with the revoked tokens table; the store says what to do before', async () => {
      const schema = name()
      await expect(migrateTo(db(), { schema }, 4)).resolves.toEqual({ applied: [1, 2, 3, 4], version: 4 })
      const store = new PostgresRevocationStore(db(), { schema })
      await expect(store.isRevoked('j1')).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        message:
          'The PostgreSQL store failed to look up a revoked token: its tables are missing (run migrate())',
      })
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [5, 6], version: 6 })
      expect(await tablesOf(db(), schema)).toEqual(TABLES)
      await expect(store.isRevoked('j1')).resolves.toBe(false)
    })

    it('keeps the version a newer release recorded, applying nothing', async () => {
      const schema = name()
      await migrate(db(), { schema })
      await db().query(`INSERT INTO "${schema}".org_auth_migrations (version, name) VALUES (99, 'future')`)
      await expect(migrate(db(), { schema })).resolves.toEqual({ applied: [], version: 99 })
    })

    it('refuses a schema name before touching the database', async () => {
      await expect(migrate(db(), { schema: 'Bad-Name' })).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      })
      await expect(migrate(db(), { schema: 'pg_catalog' })).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      })
    })
  })
}

cases('on PGlite (embedded)', usePGlite())

describe.skipIf(skip)('on a server (DATABASE_URL)', () => {
  const database = usePool()
  cases('pg.Pool', database)

  it('migrates once when 8 instances (a pool each) start together, and releases every client', async () => {
    const schema = database.name()
    const pools = Array.from({ length: 8 }, () => newPool(2))
    try {
      const results = await Promise.all(pools.map((pool) => migrate(pool, { schema })))
      expect(results.filter((result) => result.applied.length > 0)).toHaveLength(1)
      expect(results.map((result) => result.version)).toEqual(Array(8).fill(6))
      expect(await tablesOf(database.db(), schema)).toEqual(TABLES)
      for (const pool of pools) {
        expect(pool.idleCount).toBe(pool.totalCount)
        expect(pool.waitingCount).toBe(0)
      }
    } finally {
      await Promise.all(pools.map((pool) => pool.end()))
    }
  })
})

describe('openEmbeddedDatabase', () => {
  it('opens an in-memory PGlite, migrated, that the stores use', async () => {
    const db = await openEmbeddedDatabase({ schema: 'embedded_test' })
    try {
      expect(await tablesOf(db, 'embedded_test')).toEqual(TABLES)
      const store = new PostgresSessionStore(db, { schema: 'embedded_test' })
      await expect(store.listUserSessions('alice')).resolves.toEqual([])
    } finally {
      await db.close()
    }
  })

  it('keeps its data in a directory across a reopen', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dataDir = join(mkdtempSync(join(tmpdir(), 'org-auth-pglite-')), 'db')
    try {
      const first = await openEmbeddedDatabase({ dataDir })
      const expiresAt = Math.floor(Date.now() / 1000) + 3600
      await new PostgresSessionStore(first).set('s1', {
        id: 's1',
        user: { sub: 'alice' },
        tokens: {},
        createdAt: expiresAt - 60,
        expiresAt,
      })
      await first.close()
      const second = await openEmbeddedDatabase({ dataDir })
      try {
        await expect(new PostgresSessionStore(second).get('s1')).resolves.toMatchObject({ id: 's1' })
        const { rows } = await second.query('SELECT count(*)::integer AS n FROM org_auth.org_auth_migrations')
        expect(rows).toEqual([{ n: 6 }])
      } finally {
        await second.close()
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('refuses an empty data directory', async () => {
    await expect(openEmbeddedDatabase({ dataDir: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
  })

  it('is a PGlite underneath', async () => {
    const db = await openEmbeddedDatabase()
    try {
      expect(db).toBeInstanceOf(PGlite)
    } finally {
      await db.close()
    }
  })
})
