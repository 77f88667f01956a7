import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { MemoryOneTimeStore } from '@org/auth-core'
import { createPasskeys, createSessionPasskeyHandler, MemoryCredentialStore } from '@org/auth-passkeys'
import { runPasskeyAdapterScenario, testLoginHandler } from '@org/test-kit/passkey-adapter-scenario'
import { Hono } from 'hono'
import { afterEach, describe, it } from 'vitest'
import { authRoutes, requireSession, type SessionEnv } from '../src/index.js'

// Passkeys in Hono behind the adapter's session: the passkey handler of @org/auth-passkeys is a
// Web handler, mounted with `c.req.raw`; the adapter's requireSession admits a passkey sign-in.
let server: ServerType | undefined
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)))
  server = undefined
})

describe('passkeys in Hono', () => {
  it('registers for the signed-in user only, and a passkey sign-in passes requireSession({ maxAge })', async () => {
    let passkeyRoutes: ((request: Request) => Promise<Response>) | undefined
    const routes = authRoutes({
      issuer: 'http://127.0.0.1:9/never-asked', // a passkey sign-in needs no provider
      clientId: 'app',
      session: { secrets: 'a-hono-test-secret-that-is-long-enough-0123' },
    })
    const app = new Hono<SessionEnv>()
    app.route('/', routes)
    app.all('/passkeys/*', (c) => (passkeyRoutes as (request: Request) => Promise<Response>)(c.req.raw))
    app.post('/test/login', (c) => testLoginHandler(routes.auth)(c.req.raw))
    app.get('/me', requireSession(routes, { maxAge: 300 }), (c) => c.json(c.var.auth?.claims))
    const listening = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
    })
    server = listening
    const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
    // The origin is known once listening: the relying party is made for it.
    const passkeys = createPasskeys({
      rpId: '127.0.0.1',
      rpName: 'Test',
      origins: [origin],
      credentials: new MemoryCredentialStore(),
      challenges: new MemoryOneTimeStore(),
    })
    passkeyRoutes = createSessionPasskeyHandler(routes.auth, passkeys)
    await runPasskeyAdapterScenario(origin)
  })
})
