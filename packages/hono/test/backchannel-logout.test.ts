import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth, MemorySessionStore, OAuthClient } from '@org/auth-core'
import { CookieJar, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { authRoutes, requireSession, type SessionEnv } from '../src/index.js'

// Back-Channel Logout through @org/hono's authRoutes on a listening server: oidc-provider POSTs
// the logout token to it when the user signs out at the IdP.
const SECRET = 'a-hono-test-secret-that-is-long-enough-42'
let idp: DevIdp | undefined
let server: Server | undefined
afterEach(async () => {
  server?.close()
  await idp?.close()
  idp = server = undefined
})

async function start() {
  idp = await startDevIdp()
  const client = await OAuthClient.discover(idp.issuer, {
    clientId: idp.clients.basic.clientId,
    clientSecret: idp.clients.basic.clientSecret,
  })
  // The dev IdP's basic client redirects to /callback: routes at the root.
  const auth = createAuth({
    client,
    basePath: '/',
    session: { secrets: SECRET, store: new MemorySessionStore() },
    backchannelLogout: true,
  })
  const app = new Hono<SessionEnv>()
  app.route('/', authRoutes(auth))
  app.get('/dashboard', requireSession(auth), (c) => c.text(`hello ${c.var.auth.claims.sub}`))
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  if (!server.listening) await new Promise((resolve) => server?.once('listening', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  idp.setBackchannelLogoutUri(idp.clients.basic.clientId, `${origin}${auth.paths.backchannelLogout}`)
  return { origin, provider: idp }
}

describe('@org/hono back-channel logout', () => {
  it('ends the session when the user signs out at the IdP', async () => {
    const { origin, provider } = await start()
    const idpJar = new CookieJar()
    const { jar } = await signInToApp(
      (url, as) => provider.authorize(url, { ...as, jar: idpJar }),
      `${origin}/login`,
    )
    const signedIn = await fetch(`${origin}/dashboard`, { headers: { cookie: jar.header() } })
    expect(await signedIn.text()).toBe('hello alice')

    await provider.endSession(idpJar)
    const after = await fetch(`${origin}/dashboard`, {
      headers: { cookie: jar.header(), accept: 'application/json' },
    })
    expect(after.status).toBe(401)
  })

  it('answers a refused logout token 400 invalid_request, and GET 405', async () => {
    const { origin } = await start()
    const refused = await fetch(`${origin}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: 'logout_token=not.a.token',
    })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' })
    expect((await fetch(`${origin}/backchannel-logout`)).status).toBe(405)
  })
})
