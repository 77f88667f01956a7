/** cleanupExpired / startCleanup: expired rows go in batches, live ones stay, requests never wait. */
import { sessionRecord, sessionRecordOf } from '@org/test-kit/store-contracts'
import pg from 'pg'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  cleanupExpired,
  PostgresDelegationStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresRevocationStore,
  PostgresSessionStore,
  type Queryable,
  startCleanup,
} from '../src/index.js'
import { DATABASE_URL, skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const now = () => Math.floor(Date.now() / 1000)

/** Fills every table: `expired` rows past their expiry and 2 live ones, per table. */
async function fill(db: Queryable, schema: string, expired: number): Promise<void> {
  const options = { schema }
  const sessions = new PostgresSessionStore(db, options)
  const once = new PostgresOneTimeStore(db, options)
  const delegation = new PostgresDelegationStore(db, options)
  const revocations = new PostgresRevocationStore(db, options)
  for (let i = 0; i < expired; i++) {
    await revocations.revoke(`old-${i}`, now() - 10)
    await sessions.set(`old-${i}`, sessionRecordOf(`old-${i}`, 'alice', now() - 10))
    await once.consume(`old-${i}`, now() - 10)
    // Two hours past its expiry: beyond the grace hour.
    await delegation.putSession(sessionRecord(`old-${i}`, { userId: `old-${i}`, expiresAt: now() - 7200 }))
  }
  await db.query(
    `INSERT INTO "${schema}".rate_limits SELECT 'old-' || i, 3, now() - interval '1 second'
       FROM generate_series(1, $1::integer) AS i`,
    [expired],
  )
  for (const id of ['live-1', 'live-2']) {
    await sessions.set(id, sessionRecordOf(id, 'alice', now() + 3600))
    await once.consume(id, now() + 3600)
    await new PostgresRateLimitStore(db, options).hit(id, 60)
    await revocations.revoke(id, now() + 3600)
  }
  // Expired half an hour ago: within the grace hour, so the service can still answer "expired".
  await delegation.putSession(sessionRecord('live-1', { userId: 'live-1', expiresAt: now() - 1800 }))
  await delegation.putSession(sessionRecord('live-2', { userId: 'live-2', expiresAt: now() + 600 }))
}

async function counts(db: Queryable, schema: string): Promise<Record<string, number>> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM "${schema}".sessions)::integer AS sessions,
            (SELECT count(*) FROM "${schema}".one_time)::integer AS "oneTime",
            (SELECT count(*) FROM "${schema}".rate_limits)::integer AS "rateLimits",
            (SELECT count(*) FROM "${schema}".delegation_sessions)::integer AS "delegationSessions",
            (SELECT count(*) FROM "${schema}".revoked_tokens)::integer AS "revokedTokens"`,
  )
  return rows[0]
}

const LIVE = { sessions: 2, oneTime: 2, rateLimits: 2, delegationSessions: 2, revokedTokens: 2 }

function cases(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh } = database

  describe(label, () => {
    it('deletes expired rows in batches and keeps live ones', async () => {
      const { schema } = await fresh()
      await fill(db(), schema, 5)
      await expect(counts(db(), schema)).resolves.toEqual({
        sessions: 7,
        oneTime: 7,
        rateLimits: 7,
        delegationSessions: 7,
        revokedTokens: 7,
      })
      // Batches of 2: three statements per table, the last one short.
      await expect(cleanupExpired(db(), { schema, batchSize: 2 })).resolves.toEqual({
        sessions: 5,
        oneTime: 5,
        rateLimits: 5,
        delegationSessions: 5,
        revokedTokens: 5,
      })
      await expect(counts(db(), schema)).resolves.toEqual(LIVE)
      await expect(new PostgresSessionStore(db(), { schema }).get('live-1')).resolves.toBeDefined()
      await expect(
        new PostgresDelegationStore(db(), { schema }).takeSession('sp', 'live-1'),
      ).resolves.toBeDefined()
      await expect(cleanupExpired(db(), { schema })).resolves.toEqual({
        sessions: 0,
        oneTime: 0,
        rateLimits: 0,
        delegationSessions: 0,
        revokedTokens: 0,
      })
    })

    it('stops after maxBatches per table; the next call continues', async () => {
      const { schema } = await fresh()
      await fill(db(), schema, 5)
      const first = await cleanupExpired(db(), { schema, batchSize: 1, maxBatches: 3 })
      expect(first).toEqual({
        sessions: 3,
        oneTime: 3,
        rateLimits: 3,
        delegationSessions: 3,
        revokedTokens: 3,
      })
      await cleanupExpired(db(), { schema, batchSize: 1, maxBatches: 3 })
      await expect(counts(db(), schema)).resolves.toEqual(LIVE)
    })

    it('sweeps on an unref’d timer until stopped', async () => {
      const { schema } = await fresh()
      await fill(db(), schema, 3)
      const timers: ReturnType<typeof setTimeout>[] = []
      const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
      const cleanup = startCleanup(db(), { schema, intervalMs: 20 })
      timers.push(...setTimeoutSpy.mock.results.map((result) => result.value))
      setTimeoutSpy.mockRestore()
      expect(timers.length).toBeGreaterThan(0)
      for (const timer of timers) expect(timer.hasRef()).toBe(false)
      await vi.waitFor(async () => expect(await counts(db(), schema)).toEqual(LIVE), { timeout: 5000 })
      await cleanup.stop()
      // Stopped: a row expiring now stays.
      await new PostgresOneTimeStore(db(), { schema }).consume('after-stop', now() - 10)
      await new Promise((resolve) => setTimeout(resolve, 100))
      await expect(counts(db(), schema)).resolves.toMatchObject({ oneTime: 3 })
    })
  })
}

describe('options and failures', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('refuses a batch size, batch count, interval or schema that cannot work', async () => {
    const db = { query: async () => ({ rows: [] }) }
    for (const batchSize of [0, -1, 1.5, Number.NaN]) {
      await expect(cleanupExpired(db, { batchSize }), String(batchSize)).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      })
      expect(() => startCleanup(db, { batchSize })).toThrow(/batchSize/)
    }
    await expect(cleanupExpired(db, { maxBatches: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    expect(() => startCleanup(db, { intervalMs: 0 })).toThrow(/intervalMs/)
    expect(() => startCleanup(db, { schema: 'No' })).toThrow(/schema/)
  })

  it('tells onError of a failed sweep (naming no value) and keeps sweeping', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' })
    await pool.end()
    const errors: unknown[] = []
    const cleanup = startCleanup(pool, { intervalMs: 10, onError: (error) => errors.push(error) })
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 5000 })
    await cleanup.stop()
    expect(errors[0]).toMatchObject({
      code: 'ERR_STORE_UNAVAILABLE',
      message: 'The PostgreSQL store failed to delete expired rows',
    })
  })

  it('warns on the console by default, and stop() still resolves when onError throws', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' })
    await pool.end()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const byDefault = startCleanup(pool, { intervalMs: 10 })
    await vi.waitFor(() =>
      expect(warn).toHaveBeenCalledWith('The PostgreSQL store failed to delete expired rows'),
    )
    await byDefault.stop()
    let thrown = 0
    const throwing = startCleanup(pool, {
      intervalMs: 10,
      onError: () => {
        thrown++
        throw new Error('reporter failed')
      },
    })
    await vi.waitFor(() => expect(thrown).toBeGreaterThanOrEqual(2))
    await expect(throwing.stop()).resolves.toBeUndefined()
  })
})

cases('on PGlite (embedded)', usePGlite())

describe.skipIf(skip)('on a server (DATABASE_URL)', () => {
  const database = usePool()
  cases('pg.Pool', database)

  it('skips rows another transaction holds, without waiting for it', async () => {
    const { schema } = await database.fresh()
    await fill(database.db(), schema, 3)
    const holder = new pg.Client({ connectionString: DATABASE_URL })
    await holder.connect()
    try {
      // A request in the middle of its transaction on an expired session row.
      await holder.query('BEGIN')
      await holder.query(`SELECT 1 FROM "${schema}".sessions WHERE id = 'old-0' FOR UPDATE`)
      const started = performance.now()
      const result = await cleanupExpired(database.db(), { schema, batchSize: 1 })
      expect(performance.now() - started).toBeLessThan(2000)
      expect(result.sessions).toBe(2)
      await holder.query('COMMIT')
      await expect(cleanupExpired(database.db(), { schema })).resolves.toMatchObject({ sessions: 1 })
    } finally {
      await holder.end()
    }
  })
})
