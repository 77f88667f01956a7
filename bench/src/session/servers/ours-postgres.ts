/** Our sessions in PostgreSQL: the cookie holds a sealed session id, the session a row (`@org/auth-postgres`). */
import { migrate, PostgresOneTimeStore, PostgresSessionStore } from '@org/auth-postgres'
import pg from 'pg'
import { oursServers } from '../ours.js'

// A schema of the run's own, dropped afterwards.
const schemaOf = (runId: string) => `org_auth_bench_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`

export const servers = oursServers(
  'postgres',
  '`PostgresSessionStore` + `PostgresOneTimeStore` from `@org/auth-postgres` on a `pg.Pool` (10 connections): a sealed session id in the cookie, one `SELECT` per request',
  [], // services the runner checks itself: only 'redis'
  async (context) => {
    const pool = new pg.Pool({ connectionString: context.env['DATABASE_URL'] })
    const options = { schema: schemaOf(context.runId) }
    await migrate(pool, options)
    return {
      store: new PostgresSessionStore(pool, options),
      oneTimeStore: new PostgresOneTimeStore(pool, options),
    }
  },
  {
    // In the parent, before anything starts: a reason leaves both servers out, with a message.
    unavailable: async (env) => (env['DATABASE_URL'] ? undefined : 'DATABASE_URL is not set'),
    // In the parent, after the run: what it left outside Redis.
    cleanup: async (env, runId) => {
      const pool = new pg.Pool({ connectionString: env['DATABASE_URL'] })
      await pool.query(`DROP SCHEMA IF EXISTS "${schemaOf(runId)}" CASCADE`)
      await pool.end()
    },
  },
)
