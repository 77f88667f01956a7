/**
 * Where a demo keeps its sessions and single-use values, chosen by the environment:
 * `REDIS_URL` → Redis (`@org/auth-redis`), else `DATABASE_URL` → PostgreSQL (`@org/auth-postgres`),
 * else this process's memory. Instances started with the same URL and `SESSION_SECRET` share
 * sessions, login callbacks and refresh claims (several instances behind one origin: set
 * `APP_BASE_URL` to it). `DEMO_STORE=cookie` keeps the whole session in the cookie instead.
 */
import { MemoryOneTimeStore, MemorySessionStore, type OneTimeStore, type SessionStore } from '@org/auth-core'
import { RedisOneTimeStore, RedisSessionStore } from '@org/auth-redis'
import { createClient } from 'redis'

export interface DemoStores {
  /** `memory`, `redis`, `postgres` or `cookie` (no session store). */
  kind: 'memory' | 'redis' | 'postgres' | 'cookie'
  session: SessionStore | undefined
  oneTime: OneTimeStore | undefined
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
    return { kind: 'cookie', session: undefined, oneTime: undefined, close: async () => {} }
  const redisUrl = env['REDIS_URL']
  if (redisUrl !== undefined && redisUrl !== '') return redisStores(redisUrl, env['REDIS_PREFIX'])
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
  const options = { prefix }
  return {
    kind: 'redis',
    session: new RedisSessionStore(client, options),
    oneTime: new RedisOneTimeStore(client, options),
    close: async () => {
      await connecting
      if (client.isOpen) await client.close()
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
      close: async () => {},
    }
    holder.__orgDemoStores.set(name, stores)
  }
  return stores
}
