/**
 * `org-auth serve`: `createNodeTokenServer` on Node's http (no Web Request per request), with the
 * clients, signing keys, rate-limit counters, used client assertions and revoked tokens in the
 * database, so several instances (and the admin commands) share them. Ends on the io's abort signal (the bin's SIGINT/SIGTERM): stops
 * accepting, lets requests in flight finish, then closes the pool.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  PostgresClientStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresRevocationStore,
} from '@org/auth-postgres'
import { createClientRegistry } from '@org/auth-server'
import { createNodeTokenServer } from '@org/auth-server/node'
import type { CommonOptions, Context } from '../context.js'
import { CliError, EXIT } from '../errors.js'
import { type KeyRingFlags, keyRing } from './keys.js'

export interface ServeOptions extends CommonOptions, Partial<KeyRingFlags> {
  issuer: string
  port: number
  host: string
  accessTokenTtl: number
  clientCacheSeconds: number
}

export async function serve(context: Context, options: ServeOptions): Promise<void> {
  const keys = await keyRing(context, options, 10)
  const { db } = await context.database(options)
  const schema = { schema: options.schema }
  const listener = createNodeTokenServer({
    issuer: options.issuer,
    clients: createClientRegistry({
      store: new PostgresClientStore(db, schema),
      cacheSeconds: options.clientCacheSeconds,
    }),
    keys,
    rateLimit: new PostgresRateLimitStore(db, schema),
    // In the database, not in memory: a private_key_jwt assertion used at one instance is refused
    // at every other, and a token revoked at one is inactive at all (and for resource servers
    // that read revoked_tokens).
    replayStore: new PostgresOneTimeStore(db, schema),
    revocations: new PostgresRevocationStore(db, schema),
    accessTokenTtl: options.accessTokenTtl,
    // Clients connect directly (no proxy in front names another address): the socket's address.
    clientAddress: (req) => req.socket.remoteAddress,
  })
  // Fails at start, not at the first request: an unreachable or unmigrated database, or keys
  // sealed under another KEK. No signing key yet is only a warning: one may be generated later.
  try {
    await keys.signingKey()
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_KEY_NONE_ACTIVE') throw error
    context.io.stderr(
      'org-auth: warning: no signing key is active; /token answers server_error until `org-auth keys generate` adds one\n',
    )
  }

  const server = createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          'ERR_LISTEN',
          `Cannot listen on ${options.host}:${options.port}${error.code === undefined ? '' : ` (${error.code})`}`,
          EXIT.failure,
        ),
      ),
    )
    server.listen(options.port, options.host, () => resolve())
  })
  const { address, port } = server.address() as AddressInfo
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`
  context.print(
    options,
    { listening: url, issuer: options.issuer },
    () => `org-auth: token server for ${options.issuer} listening on ${url}`,
  )

  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve())
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections()
    }
    if (context.io.signal?.aborted) stop()
    else context.io.signal?.addEventListener('abort', stop, { once: true })
  })
}
