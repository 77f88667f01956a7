/**
 * What the contracts do not cover: schemas kept apart, the table layout, no DDL on request paths,
 * failures (503 naming no value, 500 for a value the store did not write), the client types.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { inspect } from 'node:util'
import { PGlite, type Transaction } from '@electric-sql/pglite'
import { isAuthError } from '@org/auth-core'
import { sessionRecord, sessionRecordOf } from '@org/test-kit/store-contracts'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import {
  migrate,
  PostgresDelegationStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresSessionStore,
  PostgresStoreError,
  type Queryable,
} from '../src/index.js'
import { skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600
const SECRET = 'secret-token-4f1c'

/** The rejection of `call`, checked to be a 503 PostgresStoreError that names no parameter. */
async function unavailable(call: () => Promise<unknown>, label: string): Promise<PostgresStoreError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, label).toBeInstanceOf(PostgresStoreError)
  expect(isAuthError(error) && error.code, label).toBe('ERR_STORE_UNAVAILABLE')
  expect(isAuthError(error) && error.status, label).toBe(503)
  // Nor does anything a logger could print: the cause chain, its properties, the stack.
  expect(inspect(error, { depth: 10, showHidden: true }), label).not.toContain('secret')
  expect((error as Error).message, label).toMatch(/^The PostgreSQL store failed to [a-z' -]+/)
  return error as PostgresStoreError
}

/** Every store method, each with secrets in every parameter. */
function everyOperation(db: Queryable, schema?: string): Record<string, () => Promise<unknown>> {
  const options = schema === undefined ? {} : { schema }
  const once = new PostgresOneTimeStore(db, options)
  const sessions = new PostgresSessionStore(db, options)
  const delegation = new PostgresDelegationStore(db, options)
  const limits = new PostgresRateLimitStore(db, options)
  const session = sessionRecordOf(`${SECRET}-id`, `${SECRET}-sub`, inAnHour())
  return {
    consume: () => once.consume(`${SECRET}-key`, inAnHour()),
    get: () => sessions.get(`${SECRET}-id`),
    set: () => sessions.set(`${SECRET}-id`, session),
    update: () => sessions.update(`${SECRET}-id`, session),
    delete: () => sessions.delete(`${SECRET}-id`),
    list: () => sessions.listUserSessions(`${SECRET}-sub`),
    deleteUser: () => sessions.deleteUserSessions(`${SECRET}-sub`),
    putSession: () => delegation.putSession(sessionRecord(`${SECRET}-id`, { codeDigest: SECRET })),
    recordAttempt: () => delegation.recordAttempt('sp', `${SECRET}-id`, 'alice'),
    takeSession: () => delegation.takeSession('sp', `${SECRET}-id`),
    getCredentials: () => delegation.getCredentials('sp', `${SECRET}-user`),
    putCredentials: () =>
      delegation.putCredentials('sp', 'alice', {
        method: 'totp',
        email: null,
        phoneNumber: null,
        totpSecret: SECRET,
        updatedAt: 1,
      }),
    hit: () => limits.hit(`${SECRET}-key`, 60),
    reset: () => limits.reset(`${SECRET}-key`),
  }
}

describe('without a database', () => {
  it('refuses a schema that is not a plain lower-case identifier', () => {
    const db = { query: async () => ({ rows: [] }) }
    for (const schema of ['', 'Org', 'a-b', 'a"b', 'a b', '1a', 'pg_auth', 'x'.repeat(64), 'ключ']) {
      expect(() => new PostgresSessionStore(db, { schema }), schema).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
    expect(() => new PostgresOneTimeStore(db, { schema: 'a;drop' })).toThrow(/schema/)
    expect(() => new PostgresRateLimitStore(db, { schema: 'x'.repeat(63) })).not.toThrow()
  })

  it('runs no DDL on a request path: only migrate.ts and roles.ts (administration) create, alter or drop', () => {
    const dir = new URL('../src/', import.meta.url)
    // roles.ts builds the statements of `org-auth db roles`, run by an administrator, never by a store.
    for (const file of readdirSync(dir).filter((name) => name !== 'migrate.ts' && name !== 'roles.ts')) {
      expect(readFileSync(new URL(file, dir), 'utf8'), file).not.toMatch(/\b(CREATE|ALTER|DROP|TRUNCATE)\b/)
    }
  })

  it('takes a pg.Pool, a pg.Client, a pool client, PGlite and its transactions (type check)', () => {
    const stores = (pool: pg.Pool, client: pg.Client, lent: pg.PoolClient, lite: PGlite, tx: Transaction) => [
      new PostgresSessionStore(pool),
      new PostgresSessionStore(client),
      new PostgresOneTimeStore(lent),
      new PostgresDelegationStore(lite),
      new PostgresRateLimitStore(tx),
      migrate(pool),
      migrate(lite),
      // @ts-expect-error: a migration needs a transaction on one connection: a pool or PGlite
      migrate(client),
    ]
    expect(stores).toBeTypeOf('function')
  })

  it('fails closed with a 503 naming no value when the server is unreachable', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 1
    await new Promise((resolve) => server.close(resolve))
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      password: SECRET,
      database: 'postgres',
      connectionTimeoutMillis: 2000,
    })
    try {
      for (const [name, call] of Object.entries(everyOperation(pool))) {
        const error = await unavailable(call, name)
        expect((error.cause as { code?: string }).code, name).toBe('ECONNREFUSED')
      }
      await unavailable(() => migrate(pool), 'migrate')
    } finally {
      await pool.end()
    }
  })

  it('fails closed with a 503 on a pool that was ended', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' })
    await pool.end()
    for (const [name, call] of Object.entries(everyOperation(pool))) await unavailable(call, name)
  })

  it('fails closed with a 503 on a closed PGlite', async () => {
    const db = await PGlite.create()
    await migrate(db)
    await db.close()
    for (const [name, call] of Object.entries(everyOperation(db))) await unavailable(call, name)
  })
})

function cases(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh, name } = database

  describe(label, () => {
    it('keeps two schemas apart: one application never sees the state of another', async () => {
      const [a, b] = [await fresh(), await fresh()]
      const expiresAt = inAnHour()
      await expect(new PostgresOneTimeStore(db(), a).consume('k', expiresAt)).resolves.toBe(true)
      await expect(new PostgresOneTimeStore(db(), b).consume('k', expiresAt)).resolves.toBe(true)
      await expect(new PostgresOneTimeStore(db(), a).consume('k', expiresAt)).resolves.toBe(false)

      const [sessionsA, sessionsB] = [new PostgresSessionStore(db(), a), new PostgresSessionStore(db(), b)]
      await sessionsA.set('s1', sessionRecordOf('s1', 'alice', expiresAt))
      await expect(sessionsB.get('s1')).resolves.toBeUndefined()
      await expect(sessionsB.update('s1', sessionRecordOf('s1', 'alice', expiresAt))).resolves.toBe(false)
      await expect(sessionsB.listUserSessions('alice')).resolves.toEqual([])
      await expect(sessionsB.deleteUserSessions('alice')).resolves.toBe(0)
      await expect(sessionsA.get('s1')).resolves.toMatchObject({ id: 's1' })

      const [delegationA, delegationB] = [
        new PostgresDelegationStore(db(), a),
        new PostgresDelegationStore(db(), b),
      ]
      await delegationA.putSession(sessionRecord('d1'))
      await expect(delegationB.recordAttempt('sp', 'd1', 'alice')).resolves.toBeUndefined()
      await expect(delegationB.takeSession('sp', 'd1')).resolves.toBeUndefined()
      await expect(delegationA.takeSession('sp', 'd1')).resolves.toMatchObject({ id: 'd1', attempts: 0 })

      const [limitsA, limitsB] = [new PostgresRateLimitStore(db(), a), new PostgresRateLimitStore(db(), b)]
      await limitsA.hit('ip', 60)
      await expect(limitsB.hit('ip', 60)).resolves.toMatchObject({ count: 1 })
      await expect(limitsA.hit('ip', 60)).resolves.toMatchObject({ count: 2 })
    })

    it('lays rows out as documented: escaped ids, JSON text, expiries from the database clock', async () => {
      const options = await fresh()
      const s = `"${options.schema}"`
      const expiresAt = inAnHour()
      const sessions = new PostgresSessionStore(db(), options)
      await sessions.set('s\u0000\uD800%', {
        ...sessionRecordOf('x', 'bob', expiresAt),
        idpSid: 'sid\u0000%',
      })
      await sessions.set('no-sid', sessionRecordOf('no-sid', 'bob', expiresAt))
      const [session, withoutSid] = (
        await db().query(
          `SELECT id, sub, data, idp_sid, extract(epoch FROM expires_at)::float8 AS e
           FROM ${s}.sessions ORDER BY id DESC`,
        )
      ).rows
      expect(session).toMatchObject({
        id: 's%0000%d800%0025',
        sub: 'bob',
        idp_sid: 'sid%0000%0025',
        e: expiresAt,
      })
      expect(withoutSid).toMatchObject({ id: 'no-sid', idp_sid: null })
      expect(JSON.parse(session.data)).toMatchObject({ id: 'x', user: { sub: 'bob' } })

      await new PostgresOneTimeStore(db(), options).consume('org-auth:login:ü🔑', expiresAt)
      const once = (await db().query(`SELECT key FROM ${s}.one_time`)).rows
      expect(once).toEqual([{ key: 'org-auth:login:ü🔑' }])

      const hit = await new PostgresRateLimitStore(db(), options).hit('ip', 60)
      const [limit] = (
        await db().query(
          `SELECT count, extract(epoch FROM window_ends)::float8 AS e,
             extract(epoch FROM now())::float8 AS now FROM ${s}.rate_limits`,
        )
      ).rows
      expect(limit).toMatchObject({ count: 1, e: hit.resetAt })
      expect(Number.isInteger(hit.resetAt)).toBe(true)
      expect(hit.resetAt - limit.now).toBeGreaterThan(59)
      // The window ends on the whole second after now + 60.
      expect(hit.resetAt - limit.now).toBeLessThanOrEqual(61)
    })

    it("refuses a pending change under an id another user's change holds, leaving that one", async () => {
      const store = new PostgresDelegationStore(db(), await fresh())
      await store.putSession(sessionRecord('same', { userId: 'alice' }))
      await store.putSession(sessionRecord('other', { userId: 'bob' }))
      await unavailable(() => store.putSession(sessionRecord('same', { userId: 'bob', attempts: 2 })), 'put')
      await expect(store.recordAttempt('sp', 'same', 'bob')).resolves.toBeUndefined()
      await expect(store.takeSession('sp', 'other')).resolves.toMatchObject({ userId: 'bob', attempts: 0 })
      await expect(store.takeSession('sp', 'same')).resolves.toMatchObject({ userId: 'alice', attempts: 0 })
    })

    it('refuses a value it did not write instead of trusting it', async () => {
      const options = await fresh()
      const s = `"${options.schema}"`
      await db().query(
        `INSERT INTO ${s}.sessions VALUES ('s1', 'alice', 'not json', now() + interval '1 hour'),
           ('s2', 'bob', '[1]', now() + interval '1 hour')`,
      )
      await db().query(`INSERT INTO ${s}.delegation_credentials VALUES ('sp', 'alice', '"text"')`)
      const sessions = new PostgresSessionStore(db(), options)
      const invalid = { code: 'ERR_STORE_INVALID_VALUE', status: 500 }
      await expect(sessions.get('s1')).rejects.toMatchObject(invalid)
      await expect(sessions.get('s2')).rejects.toMatchObject(invalid)
      await expect(sessions.listUserSessions('alice')).rejects.toMatchObject(invalid)
      await expect(
        new PostgresDelegationStore(db(), options).getCredentials('sp', 'alice'),
      ).rejects.toMatchObject(invalid)
    })

    it('names no parameter when the server refuses a statement and echoes values', async () => {
      const options = await fresh()
      // A constraint the stores do not expect: PostgreSQL's error detail quotes the offending key.
      await db().query(`CREATE UNIQUE INDEX one_session_per_sub ON "${options.schema}".sessions (sub)`)
      const sessions = new PostgresSessionStore(db(), options)
      await sessions.set(`${SECRET}-1`, sessionRecordOf(`${SECRET}-1`, `${SECRET}-sub`, inAnHour()))
      const error = await unavailable(
        () => sessions.set(`${SECRET}-2`, sessionRecordOf(`${SECRET}-2`, `${SECRET}-sub`, inAnHour())),
        'set',
      )
      expect(error.message).toBe('The PostgreSQL store failed to write a session')
      // The cause says what failed, without the server's detail (which quotes the key).
      expect(error.cause).toMatchObject({ code: '23505', constraint: 'one_session_per_sub' })
    })

    it('sends the claims of one turn as one statement, and several instances still claim each key once', async () => {
      const options = await fresh()
      const statements: string[] = []
      const counting: Queryable = {
        query: (text: string, params?: unknown[]) => {
          statements.push(text)
          return db().query(text, params)
        },
      } as Queryable
      // Three instances (stores) on the same table, each consuming the same 200 keys at once.
      const instances = [0, 1, 2].map(() => new PostgresOneTimeStore(counting, options))
      const keys = Array.from({ length: 200 }, (_, i) => `race-${i}`)
      const results = await Promise.all(
        instances.map((store) => Promise.all(keys.map((key) => store.consume(key, inAnHour())))),
      )
      for (const [i, key] of keys.entries()) {
        expect(results.filter((claims) => claims[i]).length, key).toBe(1)
      }
      expect(statements).toHaveLength(3)
      expect(statements.every((text) => text.includes('unnest('))).toBe(true)
      // A lone claim is the single-row statement.
      await expect(instances[0]?.consume('alone', inAnHour())).resolves.toBe(true)
      expect(statements[3]).not.toContain('unnest(')
    })

    it('never deadlocks two instances claiming the same keys in opposite orders', async () => {
      const options = await fresh()
      // Two instances; unsorted batches sharing keys in opposite orders deadlocked about one
      // round in seven on a server (each deadlock a failed batch of claims).
      const [a, b] = [new PostgresOneTimeStore(db(), options), new PostgresOneTimeStore(db(), options)]
      for (let round = 0; round < 10; round++) {
        const keys = Array.from({ length: 300 }, (_, i) => `order-${round}-${i}`)
        const [forward, backward] = await Promise.all([
          Promise.all(keys.map((key) => a.consume(key, inAnHour()))),
          Promise.all([...keys].reverse().map((key) => b.consume(key, inAnHour()))),
        ])
        const backwardByKey = [...backward].reverse()
        for (const [i, key] of keys.entries()) {
          expect([forward[i], backwardByKey[i]].filter(Boolean).length, key).toBe(1)
        }
      }
    })

    it('fails every claim of a batch whose statement fails, and only the caller of a bad expiry', async () => {
      const store = new PostgresOneTimeStore(db(), { schema: name() })
      const batch = ['a', 'b', 'c'].map((key) => store.consume(`${SECRET}-${key}`, inAnHour()))
      for (const [i, claim] of batch.entries()) await unavailable(() => claim, `batch ${i}`)
      const good = new PostgresOneTimeStore(db(), await fresh())
      const [bad, fine] = await Promise.allSettled([
        good.consume('bad', Number.NaN),
        good.consume('fine', inAnHour()),
      ])
      expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_INPUT' } })
      expect(fine).toEqual({ status: 'fulfilled', value: true })
    })

    it('says to run migrate() when its tables are missing', async () => {
      const schema = name()
      for (const [operation, call] of Object.entries(everyOperation(db(), schema))) {
        const error = await unavailable(call, operation)
        expect(error.message, operation).toMatch(/its tables are missing \(run migrate\(\)\)$/)
      }
    })
  })
}

cases('on PGlite (embedded)', usePGlite())
describe.skipIf(skip)('on a server (DATABASE_URL)', () => {
  cases('pg.Pool', usePool())
})
