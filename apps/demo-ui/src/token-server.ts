/**
 * The machine-to-machine side of `npm run demo`: `@org/auth-server`'s token server on its own port
 * (DEV_TOKEN_SERVER_PORT, default 4100), with one seeded client whose secret is printed at
 * start-up, since a secret is only ever shown once. Every demo API trusts its tokens beside the
 * dev IdP's (settings.ts).
 *
 * Where its clients and keys live: `DATABASE_URL` → that PostgreSQL (schema DATABASE_SCHEMA,
 * default `org_auth_demo`), shared with the `org-auth` CLI, so clients added there get tokens
 * here; otherwise an embedded PGlite in memory (PGlite admits one process, so there the seeded
 * client is the only one).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  migrate,
  openEmbeddedDatabase,
  PostgresClientStore,
  PostgresKeyStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresRevocationStore,
  type Queryable,
} from '@org/auth-postgres'
import { type ClientRegistry, createClientRegistry, createKeyRing } from '@org/auth-server'
import { createNodeTokenServer } from '@org/auth-server/node'
import pg from 'pg'

/** The name of the seeded client: found by it at each start, and its secret rotated. */
export const DEMO_MACHINE_CLIENT = 'demo machine client'

// Development only, like the demos' session secrets: a published key-encryption key. A real
// deployment reads ORG_AUTH_KEK from its secret manager (`openssl rand -base64 32`).
const DEV_KEK = 'ZGV2LW9ubHkta2VrLW5vdC1mb3ItcHJvZHVjdGlvbiE'

export interface DemoTokenServer {
  /** `http://127.0.0.1:<port>`: the issuer, and the base of /token, /jwks.json and the metadata. */
  issuer: string
  /** The seeded client's credentials (the secret is new at every start). */
  client: { clientId: string; clientSecret: string }
  /** `postgres` (DATABASE_URL) or `embedded` (PGlite in memory). */
  database: 'postgres' | 'embedded'
  close(): Promise<void>
}

export interface DemoTokenServerOptions {
  /** Port on 127.0.0.1. Default: 0 (a free one). */
  port?: number
  /** DATABASE_URL, DATABASE_SCHEMA, ORG_AUTH_KEK, AUDIENCE. Default: none of them. */
  env?: Record<string, string | undefined>
}

interface Database {
  db: Queryable
  kind: DemoTokenServer['database']
  close(): Promise<void>
}

async function openDatabase(env: Record<string, string | undefined>, schema: string): Promise<Database> {
  const url = env['DATABASE_URL']
  if (url === undefined || url === '') {
    const db = await openEmbeddedDatabase({ schema })
    return { db, kind: 'embedded', close: () => db.close() }
  }
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 2_000, max: 5 })
  pool.on('error', (error: Error) => console.error(`token server: postgres: ${error.message}`))
  try {
    await migrate(pool, { schema })
  } catch (error) {
    await pool.end()
    throw error
  }
  return { db: pool, kind: 'postgres', close: () => pool.end() }
}

/** The seeded client, created on first start and given a new secret on every later one. */
async function seedClient(clients: ClientRegistry, audience: string) {
  const existing = (await clients.list()).find((client) => client.name === DEMO_MACHINE_CLIENT)
  if (existing !== undefined) {
    const { clientSecret } = await clients.rotateSecret({ clientId: existing.clientId })
    return { clientId: existing.clientId, clientSecret }
  }
  const created = await clients.create({
    name: DEMO_MACHINE_CLIENT,
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['read', 'write'],
    audiences: [audience],
    owner: 'npm run demo',
  })
  return { clientId: created.clientId, clientSecret: created.clientSecret as string }
}

export async function startDemoTokenServer(options: DemoTokenServerOptions = {}): Promise<DemoTokenServer> {
  const env = options.env ?? {}
  const schema = env['DATABASE_SCHEMA'] ?? 'org_auth_demo'
  const database = await openDatabase(env, schema)
  try {
    const stores = { schema }
    const clients = createClientRegistry({ store: new PostgresClientStore(database.db, stores) })
    const keys = createKeyRing({
      store: new PostgresKeyStore(database.db, stores),
      kek: env['ORG_AUTH_KEK'] ?? DEV_KEK,
    })
    if ((await keys.list()).every((key) => key.state === 'expired')) await keys.generate('ES256')
    const client = await seedClient(clients, env['AUDIENCE'] ?? 'https://api.example.test')
    // The issuer names the port, known once listening: requests are answered 503 until then.
    let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
      res.writeHead(503).end()
    const server = createServer((req, res) => listener(req, res)).listen(options.port ?? 0, '127.0.0.1')
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', resolve)))
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    listener = createNodeTokenServer({
      issuer,
      clients,
      keys,
      rateLimit: new PostgresRateLimitStore(database.db, stores),
      // In the database: with DATABASE_URL, an `org-auth serve` on the same schema shares them.
      replayStore: new PostgresOneTimeStore(database.db, stores),
      revocations: new PostgresRevocationStore(database.db, stores),
      clientAddress: (req) => req.socket.remoteAddress,
    })
    return {
      issuer,
      client,
      database: database.kind,
      close: async () => {
        await new Promise((resolve) => server.close(resolve))
        await database.close()
      },
    }
  } catch (error) {
    await database.close()
    throw error
  }
}
