import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemorySessionStore } from '@org/auth-core'
import { nodeHandler } from '@org/auth-core/node'
import { CookieJar, DEMO_CLIENTS, type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth } from '../src/index.js'
import { Jar, loginOptions, ORIGIN, request } from './helpers.js'

// Back-Channel Logout through the catch-all route's POST handler (served here on a real port, as
// `next start` would: oidc-provider must reach it) and past the proxy, against the dev IdP.
let idp: DevIdp
let server: Server
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  server?.close()
  await idp?.close()
})

describe('createNextAuth back-channel logout', () => {
  it('ends the session when the user signs out at the IdP, through handlers.POST', async () => {
    const nextAuth = createNextAuth(
      loginOptions(idp, {
        session: { secrets: 'a-next-test-secret-that-is-long-enough-42', store: new MemorySessionStore() },
        backchannelLogout: true,
      }),
    )
    server = createServer(nodeHandler((req) => nextAuth.handlers.POST(req)))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    idp.setBackchannelLogoutUri(
      DEMO_CLIENTS.next.clientId,
      `http://127.0.0.1:${port}/api/auth/backchannel-logout`,
    )

    const jar = new Jar()
    const idpJar = new CookieJar()
    const login = jar.store(await nextAuth.handlers.GET(request(jar, '/api/auth/login')))
    const callback = await idp.authorize(login.headers.get('location') as string, { jar: idpJar })
    jar.store(await nextAuth.handlers.GET(request(jar, callback.pathname + callback.search)))
    expect((await nextAuth.getSessionFromRequest(request(jar, '/')))?.user.sub).toBe('alice')

    await idp.endSession(idpJar)
    expect(await nextAuth.getSessionFromRequest(request(jar, '/'))).toBeNull()
    expect((await nextAuth.handlers.GET(request(jar, '/api/auth/session'))).status).toBe(401)
  })

  it('the proxy lets the provider’s POST through to the route (no session, no Origin)', async () => {
    const nextAuth = createNextAuth(
      loginOptions(idp, {
        session: { secrets: 'a-next-test-secret-that-is-long-enough-42', store: new MemorySessionStore() },
        backchannelLogout: true,
      }),
    )
    const proxy = nextAuth.proxy({ protect: () => true })
    const response = await proxy(
      new Request(`${ORIGIN}/api/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=x',
      }),
    )
    expect(response.headers.get('x-middleware-next')).toBe('1')
    const refused = await nextAuth.handlers.POST(
      request(new Jar(), '/api/auth/backchannel-logout', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=not.a.token',
      }),
    )
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_request' })
  })
})
