/**
 * Where a demo keeps its sessions and single-use values, chosen by the environment:
 * `REDIS_URL` → Redis (`@org/auth-redis`), else `DATABASE_URL` → PostgreSQL (`@org/auth-postgres`),
 * else this process's memory. Instances started with the same URL and `SESSION_SECRET` share
 * sessions, login callbacks and refresh claims (several instances behind one origin: set
 * `APP_BASE_URL` to it). `DEMO_STORE=cookie` keeps the whole session in the cookie instead.
 */
import { MemoryOneTimeStore, MemorySessionStore, type OneTimeStore, type SessionStore } from '@org/auth-core'
import { type CredentialStore, MemoryCredentialStore } from '@org/auth-passkeys'
import {
  migrate,
  PostgresCredentialStore,
  PostgresOneTimeStore,
  PostgresSessionStore,
  type Queryable,
  startCleanup,
} from '@org/auth-postgres'
import { RedisOneTimeStore, type RedisScriptClient, RedisSessionStore } from '@org/auth-redis'
import pg from 'pg'
import { createClient } from 'redis'

export interface DemoStores {
  /** `memory`, `redis`, `postgres` or `cookie` (no session store). */
  kind: 'memory' | 'redis' | 'postgres' | 'cookie'
  session: SessionStore | undefined
  oneTime: OneTimeStore | undefined
  /** The passkeys: PostgreSQL with DATABASE_URL, else this process's memory (Redis has no credential store). */
  credentials: CredentialStore
  /** Closes the connection (Redis, PostgreSQL); nothing for the others. */
  close(): Promise<void>
}

/**
 * Opens the stores the environment names. Synchronous, so a module can build its configuration at
 * load (the Next demo): Redis commands wait in the client's queue until the connection is up, and
 * the first connection failure is reported on the console, not thrown.
 */
export function demoStores(name: string, env: Record<string, string | undefined>): DemoStores {
  if (env['DEMO_STORE'] === 'cookie')
    return {
      kind: 'cookie',
      session: undefined,
      oneTime: undefined,
      credentials: new MemoryCredentialStore(),
      close: async () => {},
    }
  const redisUrl = env['REDIS_URL']
  if (redisUrl !== undefined && redisUrl !== '') return redisStores(redisUrl, env['REDIS_PREFIX'])
  const databaseUrl = env['DATABASE_URL']
  if (databaseUrl !== undefined && databaseUrl !== '')
    return postgresStores(databaseUrl, env['DATABASE_SCHEMA'])
  return memoryStores(name)
}

function redisStores(url: string, prefix = 'org-auth-demo:'): DemoStores {
  // No offline queue: while Redis is unreachable a command fails at once (the app answers 503)
  // instead of waiting for the connection to come back. Reconnection stays automatic.
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2_000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000) },
  })
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`))
  const connecting = client.connect().catch((error: Error) => console.error(`redis: ${error.message}`))
  // The first commands wait for the first connection (a module loaded by the request that uses
  // it, as in Next, would otherwise fail that request); after it, an outage fails at once.
  const ready: RedisScriptClient = {
    eval: async (script, options) => {
      await connecting
      return client.eval(script, options)
    },
  }
  const options = { prefix }
  return {
    kind: 'redis',
    session: new RedisSessionStore(ready, options),
    oneTime: new RedisOneTimeStore(ready, options),
    credentials: new MemoryCredentialStore(),
    close: async () => {
      await connecting
      if (client.isOpen) await client.close()
    },
  }
}

function postgresStores(url: string, schema = 'org_auth_demo'): DemoStores {
  // Bounded waits: while the server is down, requests fail (503) instead of queueing for the pool.
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: 2_000,
    query_timeout: 5_000,
    max: 5,
  })
  pool.on('error', (error: Error) => console.error(`postgres: ${error.message}`))
  // The tables are created once at start-up; every store call waits for that first.
  const migrated = migrate(pool, { schema }).catch((error: Error) => {
    console.error(`postgres: migration failed: ${error.message}`)
  })
  const ready: Queryable = {
    query: async (text, params) => {
      await migrated
      return pool.query(text, params as unknown[])
    },
  }
  const options = { schema }
  // Expired sessions and single-use values are deleted in small batches once a minute.
  const cleanup = startCleanup(ready, options)
  return {
    kind: 'postgres',
    session: new PostgresSessionStore(ready, options),
    oneTime: new PostgresOneTimeStore(ready, options),
    credentials: new PostgresCredentialStore(ready, options),
    close: async () => {
      await cleanup.stop()
      await migrated
      await pool.end()
    },
  }
}

/**
 * One memory store per demo and process, even when Next loads this module in more than one
 * bundle; per demo, because the browser tests run several demos in one process.
 */
function memoryStores(name: string): DemoStores {
  const holder = globalThis as { __orgDemoStores?: Map<string, DemoStores> }
  holder.__orgDemoStores ??= new Map()
  let stores = holder.__orgDemoStores.get(name)
  if (stores === undefined) {
    stores = {
      kind: 'memory',
      session: new MemorySessionStore(),
      oneTime: new MemoryOneTimeStore({ whenFull: 'evict' }),
      credentials: new MemoryCredentialStore(),
      close: async () => {},
    }
    holder.__orgDemoStores.set(name, stores)
  }
  return stores
}
