import 'reflect-metadata'
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common'
import { type AuthOptions, createAuth, MemorySessionStore, type SessionAuthContext } from '@org/auth-core'
import { CookieJar, DEMO_CLIENTS, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type AuthContext,
  AuthExceptionFilter,
  AuthService,
  CurrentAuth,
  Public,
  RequireScopes,
  RequireSession,
  SessionGuard,
} from '../src/index.js'
import { MATRIX, type RunningApp, rawGet, startApp } from './helpers.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

// Web login through AuthModule's login routes (the core's Node bridge) against the real dev IdP,
// SessionGuard / @RequireSession on pages and APIs, on Express and Fastify, forRoot and
// forRootAsync. The applications also run the global bearer guard: session routes must pass it.

@Controller()
class PagesController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Get()
  @Public()
  async home(@Req() request: object) {
    const session = await this.auth.getSession(request)
    return { sub: session?.user.sub ?? null }
  }

  @Get('dashboard')
  @RequireSession()
  dashboard(@CurrentAuth() auth: SessionAuthContext) {
    return `hello ${auth.claims.sub}`
  }

  // The session check must leave the body to the platform's own parser.
  @Post('notes')
  @RequireSession()
  @HttpCode(201)
  notes(@CurrentAuth('claims') claims: SessionAuthContext['claims'], @Body() note: unknown) {
    return { by: claims.sub, note }
  }

  @Get('reader')
  @RequireSession()
  @RequireScopes('read')
  reader(@CurrentAuth('scopes') scopes: readonly string[]) {
    return { scopes }
  }

  @Get('admin')
  @RequireSession({ scopes: ['admin'] })
  admin() {
    return { admin: true }
  }

  // SessionGuard used directly: under the global bearer guard it needs @Public().
  @Get('direct')
  @Public()
  @UseGuards(SessionGuard)
  direct(@CurrentAuth('session') session: SessionAuthContext['session']) {
    return { sub: session.user.sub }
  }

  @Get('data')
  @RequireSession()
  data(@CurrentAuth('session') session: SessionAuthContext['session']) {
    return session.data ?? null
  }

  @Get('sessions')
  @Public()
  async sessions(@Req() request: object) {
    return { sessions: await this.auth.listSessions(request) }
  }

  @Post('sessions/revoke-others')
  @Public()
  @HttpCode(200)
  @UseFilters(AuthExceptionFilter) // a cross-site request is refused 403 ERR_CROSS_SITE_REQUEST
  async revokeOthers(@Req() request: object, @Res({ passthrough: true }) response: object) {
    return { revoked: await this.auth.revokeAllSessions(request, response, { keepCurrent: true }) }
  }

  @Get('api/me')
  bearer(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub }
  }
}

const SECRET = 'a-nest-test-secret-that-is-long-enough'
let idp: DevIdp
let offset = 0 // added to the session clock, to move past the access token's expiry
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})
afterEach(() => {
  offset = 0
})

/** Sessions kept server-side, indexed by user: session management works on it. */
const store = new MemorySessionStore()

function loginOptions(): AuthOptions {
  return {
    issuer: idp.issuer,
    clientId: DEMO_CLIENTS.nest.clientId,
    clientSecret: DEMO_CLIENTS.nest.clientSecret,
    scopes: ['openid', 'profile', 'offline_access', 'read'],
    authorizationParams: { prompt: 'consent' },
    session: { secrets: SECRET, maxAge: 3600, store },
    now: () => Date.now() + offset,
    onLogin: ({ user }) => (user.sub === 'mallory' ? false : { data: { team: `team-of-${user.sub}` } }),
  }
}

describe.each(MATRIX)('web login on %s with %s', (platform, mode) => {
  let app: RunningApp
  let origin: string
  const get = (path: string, jar?: CookieJar, headers: Record<string, string> = {}) =>
    fetch(`${origin}${path}`, { redirect: 'manual', headers: { ...headers, cookie: jar?.header() ?? '' } })
  beforeAll(async () => {
    app = await startApp({
      platform,
      mode,
      options: {
        verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
        // Both forms of `login`: an Auth created by the application, and createAuth options.
        login: mode === 'forRoot' ? createAuth(loginOptions()) : loginOptions(),
      },
      controllers: [PagesController],
      globalGuard: true,
    })
    origin = app.origin
  })
  afterAll(async () => {
    await app?.close()
  })

  it('onLogin: its data reaches @CurrentAuth("session"), and false refuses the login', async () => {
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    expect(await (await get('/data', jar)).json()).toEqual({ team: 'team-of-alice' })
    const refused = await signInToApp(idp.authorize, `${origin}/auth/login`, { sub: 'mallory' })
    expect(refused.landing.status).toBe(403)
    expect(await refused.landing.text()).toContain('ERR_LOGIN_REFUSED')
  })

  it("lists the user's sessions and signs out everywhere else through AuthService", async () => {
    const one = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const two = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const listed = ((await (await get('/sessions', one.jar)).json()) as { sessions: { current: boolean }[] })
      .sessions
    expect(listed.length).toBeGreaterThanOrEqual(2)
    expect(listed.filter((session) => session.current)).toHaveLength(1)
    const refused = await fetch(`${origin}/sessions/revoke-others`, {
      method: 'POST',
      headers: { cookie: one.jar.header(), 'sec-fetch-site': 'cross-site' },
    })
    expect(refused.status).toBe(403)
    const revoke = await fetch(`${origin}/sessions/revoke-others`, {
      method: 'POST',
      headers: { cookie: one.jar.header(), origin },
    })
    expect(await revoke.json()).toEqual({ revoked: listed.length - 1 })
    expect(await (await get('/sessions', two.jar)).json()).toEqual({ sessions: null })
    expect(
      ((await (await get('/sessions', one.jar)).json()) as { sessions: unknown[] }).sessions,
    ).toHaveLength(1)
  })

  it('redirects a page to login, signs in through the callback, and serves the session', async () => {
    const page = await rawGet(origin, '/dashboard?tab=1', [
      'Sec-Fetch-Mode',
      'navigate',
      'Accept',
      'text/html',
    ])
    expect(page.status).toBe(302)
    expect(page.headers.location).toBe('/auth/login?returnTo=%2Fdashboard%3Ftab%3D1')
    expect(page.headers['cache-control']).toBe('no-store')
    const { jar, landing } = await signInToApp(idp.authorize, `${origin}${page.headers.location}`)
    expect(landing.status).toBe(302)
    expect(landing.headers.get('location')).toBe('/dashboard?tab=1')
    expect(await (await get('/dashboard', jar)).text()).toBe('hello alice')
    expect(await (await get('/direct', jar)).json()).toEqual({ sub: 'alice' })
    expect(await (await get('/', jar)).json()).toEqual({ sub: 'alice' })
    expect(await (await get('/')).json()).toEqual({ sub: null })
    const session = await get('/auth/session', jar)
    expect(await session.json()).toMatchObject({ user: { sub: 'alice', name: expect.any(String) } })
  })

  it('answers API calls without a session with 401 JSON, and missing scopes with 403', async () => {
    const anonymous = await get('/dashboard')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('cache-control')).toBe('no-store')
    expect(await anonymous.json()).toEqual({ error: 'unauthorized', error_description: 'Sign-in required' })
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const reader = await get('/reader', jar)
    expect(await reader.json()).toEqual({ scopes: expect.arrayContaining(['read']) })
    const admin = await get('/admin', jar)
    expect(admin.status).toBe(403)
    expect((await admin.json()).error).toBe('insufficient_scope')
  })

  it('keeps the global bearer guard on the other routes', async () => {
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const res = await get('/api/me', jar)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer, DPoP algs="${ALGS}"`)
    const token = await idp.getAccessToken({ scope: 'read' })
    expect((await get('/api/me', undefined, { authorization: `Bearer ${token}` })).status).toBe(200)
  })

  it('leaves the request body to the route after the session check', async () => {
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const created = await fetch(`${origin}/notes`, {
      method: 'POST',
      headers: { cookie: jar.header(), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ by: 'alice', note: { text: 'hello' } })
  })

  it('accepts a form_post callback (the authorization response in a POST body)', async () => {
    const jar = new CookieJar()
    const start = await get('/auth/login?returnTo=%2Fdashboard')
    jar.store(start)
    const callback = await idp.authorize(start.headers.get('location') ?? '')
    const posted = await fetch(`${origin}/auth/callback`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: callback.searchParams.toString(),
    })
    expect(posted.status).toBe(302)
    expect(posted.headers.get('location')).toBe('/dashboard')
    jar.store(posted)
    expect(await (await get('/dashboard', jar)).text()).toBe('hello alice')
  })

  it('writes refresh and renewal cookies on the guarded response', async () => {
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    offset = 10 * 60_000 // past the 5-minute access token: refreshed, and the rolling session renewed
    const renewed = await get('/dashboard', jar)
    expect(renewed.status).toBe(200)
    expect(renewed.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^auth\.session=.+; Max-Age=3600;/),
    ])
    jar.store(renewed)
    expect(await (await get('/dashboard', jar)).text()).toBe('hello alice')
  })

  it('refuses a cross-site logout and accepts a same-origin one', async () => {
    const { jar } = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const logout = (from: string) =>
      fetch(`${origin}/auth/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), origin: from },
      })
    const refused = await logout('https://evil.example')
    expect(refused.status).toBe(403)
    expect((await get('/dashboard', jar)).status).toBe(200)
    const accepted = await logout(origin)
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')).toMatch(/\/session\/end\?/)
    jar.store(accepted)
    expect((await get('/dashboard', jar)).status).toBe(401)
  })
})

describe('@RequireSession()', () => {
  it('checks its scope names when applied, like @RequireScopes()', () => {
    expect(() => RequireSession({ scopes: ['read write'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => RequireSession({ scopes: [''] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})
