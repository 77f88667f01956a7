import 'reflect-metadata'
import { Controller, Get } from '@nestjs/common'
import { createAuth, MemorySessionStore, type SessionAuthContext } from '@org/auth-core'
import { CookieJar, DEMO_CLIENTS, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CurrentAuth, RequireSession } from '../src/index.js'
import { MATRIX, type RunningApp, startApp } from './helpers.js'

// Back-Channel Logout through AuthModule's login routes, on Express and Fastify, forRoot and
// forRootAsync, under the global bearer guard: oidc-provider's POST (no bearer token, no cookie,
// no Origin) must reach the core, not the guard or a body parser's error.
const SECRET = 'a-nest-test-secret-that-is-long-enough-0123'

@Controller()
class PagesController {
  @Get('dashboard')
  @RequireSession()
  dashboard(@CurrentAuth() auth: SessionAuthContext) {
    return `hello ${auth.claims.sub}`
  }
}

let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})

describe.each(MATRIX)('back-channel logout on %s with %s', (platform, mode) => {
  let app: RunningApp
  beforeAll(async () => {
    const login = {
      issuer: idp.issuer,
      clientId: DEMO_CLIENTS.nest.clientId,
      clientSecret: DEMO_CLIENTS.nest.clientSecret,
      authorizationParams: { prompt: 'consent' },
      session: { secrets: SECRET, store: new MemorySessionStore() },
      backchannelLogout: true,
    }
    app = await startApp({
      platform,
      mode,
      options: {
        verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
        login: mode === 'forRoot' ? createAuth(login) : login,
      },
      controllers: [PagesController],
      globalGuard: true,
    })
    idp.setBackchannelLogoutUri(DEMO_CLIENTS.nest.clientId, `${app.origin}/auth/backchannel-logout`)
  })
  afterAll(async () => {
    await app?.close()
  })

  it('ends the session when the user signs out at the IdP', async () => {
    const idpJar = new CookieJar()
    const { jar } = await signInToApp(
      (url, as) => idp.authorize(url, { ...as, jar: idpJar }),
      `${app.origin}/auth/login`,
    )
    const dashboard = () =>
      fetch(`${app.origin}/dashboard`, { headers: { cookie: jar.header(), accept: 'application/json' } })
    expect(await (await dashboard()).text()).toBe('hello alice')
    await idp.endSession(idpJar)
    expect((await dashboard()).status).toBe(401)
  })

  it('answers a refused logout token 400 invalid_request (JSON)', async () => {
    const response = await fetch(`${app.origin}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=not.a.token',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'invalid_request' })
  })
})
