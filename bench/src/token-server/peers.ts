/**
 * The two token servers of the token bench, each as it would run in production on one core:
 * ours (`createNodeTokenServer` on PostgreSQL: clients, signing keys, throttle counters and
 * `private_key_jwt` replay records all in the database) and oidc-provider's client-credentials
 * grant (its default in-memory adapter, its fastest set-up: it reads no database at all). Both sign
 * ES256 JWT access tokens (RFC 9068) for the same audience with the same lifetime.
 */
import { createServer, type Server } from 'node:http'
import { serve } from '@hono/node-server'
import {
  PostgresClientStore,
  PostgresKeyStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresRevocationStore,
} from '@org/auth-postgres'
import {
  createClientRegistry,
  createKeyRing,
  createMemoryClientStore,
  createTokenServer,
  type TokenServerOptions,
} from '@org/auth-server'
import { createNodeTokenServer } from '@org/auth-server/node'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'
import pg from 'pg'
import { AUDIENCE, TOKEN_TTL } from './constants.js'

/** What the parent tells a peer (as JSON in BENCH_TOKEN_PEER). */
export interface PeerConfig {
  kind: 'ours' | 'oidc-provider'
  port: number
  issuer: string
  /** Ours: the database and schema the parent migrated and seeded. */
  databaseUrl?: string
  schema?: string
  kek?: string
  /** oidc-provider: its clients (the parent made the secret and the key pair). */
  secretClient?: { clientId: string; clientSecret: string }
  jwtClient?: { clientId: string; publicJwk: JWK }
  /** oidc-provider: its ES256 signing key (private JWK). */
  signingJwk?: JWK
}

/** Ours on Node's http: the Node listener, or with BENCH_OURS_TRANSPORT=web the Web handler on @hono/node-server. */
async function ours(config: PeerConfig): Promise<Server> {
  const options = await oursOptions(config)
  if (process.env['BENCH_OURS_TRANSPORT'] === 'web') {
    return serve({ fetch: createTokenServer(options), port: config.port, hostname: '127.0.0.1' }) as Server
  }
  return createServer(createNodeTokenServer(options)).listen(config.port, '127.0.0.1')
}

async function oursOptions(config: PeerConfig): Promise<Omit<TokenServerOptions, 'clientAddress'>> {
  // Sized for one process under load; a real deployment sizes it the same way.
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 })
  const options = { schema: config.schema as string }
  if (process.env['BENCH_OURS_STORES'] === 'memory') {
    // The ceiling without a database: the seeded clients copied into memory at start-up.
    const clients = createMemoryClientStore()
    const source = new PostgresClientStore(pool, options)
    for (const record of await source.list()) {
      const stored = await source.getWithSecrets(record.clientId)
      if (stored !== undefined) await clients.insert(stored.client, stored.secretHash)
    }
    const keys = createKeyRing({ store: new PostgresKeyStore(pool, options), kek: config.kek as string })
    const signing = await keys.signingKey()
    const jwks = await keys.publicJwks()
    return {
      issuer: config.issuer,
      clients: createClientRegistry({ store: clients }),
      keys: { signingKey: async () => signing, publicJwks: async () => jwks },
      accessTokenTtl: TOKEN_TTL,
    }
  }
  // A client is read from PostgreSQL at most every 5 s (cacheSeconds; the README's trade-off).
  const cacheSeconds = Number(process.env['BENCH_CLIENT_CACHE'] ?? 5)
  return {
    issuer: config.issuer,
    clients: createClientRegistry({ store: new PostgresClientStore(pool, options), cacheSeconds }),
    keys: createKeyRing({ store: new PostgresKeyStore(pool, options), kek: config.kek as string }),
    rateLimit: new PostgresRateLimitStore(pool, options),
    replayStore: new PostgresOneTimeStore(pool, options),
    revocations: new PostgresRevocationStore(pool, options),
    accessTokenTtl: TOKEN_TTL,
  }
}

function oidcProvider(config: PeerConfig): Server {
  const { secretClient, jwtClient } = config
  const provider = new Provider(config.issuer, {
    clients: [
      {
        client_id: secretClient?.clientId as string,
        client_secret: secretClient?.clientSecret as string,
        grant_types: ['client_credentials'],
        id_token_signed_response_alg: 'ES256',
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: jwtClient?.clientId as string,
        grant_types: ['client_credentials'],
        id_token_signed_response_alg: 'ES256',
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'EdDSA',
        jwks: { keys: [jwtClient?.publicJwk as JWK] },
      },
    ],
    jwks: { keys: [config.signingJwk as JWK] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        getResourceServerInfo: () => ({
          scope: 'read write',
          accessTokenFormat: 'jwt',
          accessTokenTTL: TOKEN_TTL,
          jwt: { sign: { alg: 'ES256' } },
        }),
        useGrantedResource: () => true,
      },
    },
  })
  return provider.listen(config.port)
}

const config = JSON.parse(process.env['BENCH_TOKEN_PEER'] ?? '{}') as PeerConfig
try {
  let server: Server
  if (config.kind === 'ours') {
    server = await ours(config)
  } else {
    server = oidcProvider(config)
  }
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  process.send?.({ type: 'ready', port: config.port })
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
} catch (error) {
  process.send?.({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  })
  process.exitCode = 1
  process.disconnect?.()
}
