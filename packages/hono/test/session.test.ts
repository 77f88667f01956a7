import { createAuth, MemorySessionStore, OAuthClient, type OnLogin } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import {
  authRoutes,
  getSession,
  listSessions,
  requireSession,
  revokeAllSessions,
  revokeSession,
  type SessionEnv,
} from '../src/index.js'
import { browser, Jar } from './helpers.js'

// Hono's login routes and requireSession against oidc-provider on 127.0.0.1 (its login and
// consent played by the dev IdP's scripted driver); the app is called through app.request().
const ORIGIN = 'http://127.0.0.1:4568'
const { get, logIn } = browser(ORIGIN)
const SECRET = 'a-hono-test-secret-that-is-long-enough-42'
let idp: DevIdp | undefined
afterEach(async () => {
  await idp?.close()
  idp = undefined
})

async function demoApp(now: () => number = Date.now, onLogin?: OnLogin) {
  idp = await startDevIdp()
  const client = await OAuthClient.discover(idp.issuer, {
    clientId: idp.clients.basic.clientId,
    clientSecret: idp.clients.basic.clientSecret,
  })
  // The dev IdP's basic client redirects to /callback: routes at the root.
  const auth = createAuth({
    client,
    basePath: '/',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    authorizationParams: { prompt: 'consent' },
    ...(onLogin === undefined ? {} : { onLogin }),
    session: { secrets: SECRET, maxAge: 3600 },
    now,
  })
  const app = new Hono<SessionEnv>()
  const routes = authRoutes(auth)
  app.route('/', routes)
  app.get('/', async (c) => {
    const session = await getSession(routes, c)
    return c.json({ signedIn: session !== null, sub: session?.user.sub ?? null })
  })
  app.get('/dashboard', requireSession(routes), (c) => c.text(`hello ${c.var.auth.claims.sub}`))
  app.get('/api/me', requireSession(auth), (c) =>
    c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }),
  )
  app.get('/admin', requireSession(auth, { scopes: ['admin'] }), (c) => c.text('admin'))
  app.get('/data', requireSession(auth), (c) => c.json(c.var.auth.session.data ?? null))
  return { app, provider: idp }
}

describe('@org/auth-hono web login', () => {
  it('redirects a page navigation to login and back, then serves the signed-in user', async () => {
    const { app, provider } = await demoApp()
    const jar = new Jar()
    const page = await get(app, jar, '/dashboard?tab=2', { 'sec-fetch-mode': 'navigate' })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/login?returnTo=%2Fdashboard%3Ftab%3D2')
    const done = await logIn(app, provider, jar, page.headers.get('location') as string)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/dashboard?tab=2')
    const dashboard = await get(app, jar, '/dashboard?tab=2')
    expect(dashboard.status).toBe(200)
    expect(await dashboard.text()).toBe('hello alice')
    expect(await (await get(app, jar, '/')).json()).toEqual({ signedIn: true, sub: 'alice' })
    const session = await get(app, jar, '/session')
    expect(await session.json()).toMatchObject({ user: { sub: 'alice', email: 'alice@example.test' } })
  })

  it('onLogin: its data reaches c.var.auth.session, and false refuses the login', async () => {
    const { app, provider } = await demoApp(Date.now, ({ user }) =>
      user.sub === 'alice' ? { data: { team: 'blue' }, returnTo: '/data' } : false,
    )
    const jar = new Jar()
    const done = await logIn(app, provider, jar, '/login')
    expect(done.headers.get('location')).toBe('/data')
    expect(await (await get(app, jar, '/data')).json()).toEqual({ team: 'blue' })
    const other = new Jar()
    const refused = await logIn(app, provider, other, '/login', { sub: 'mallory' })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('ERR_LOGIN_REFUSED')
  })

  it("lists the user's sessions and signs out everywhere (listSessions, revokeSession, revokeAllSessions)", async () => {
    idp = await startDevIdp()
    const client = await OAuthClient.discover(idp.issuer, {
      clientId: idp.clients.basic.clientId,
      clientSecret: idp.clients.basic.clientSecret,
    })
    const auth = createAuth({
      client,
      basePath: '/',
      session: { secrets: SECRET, store: new MemorySessionStore() },
    })
    const app = new Hono()
    app.route('/', authRoutes(auth))
    app.get('/sessions', async (c) => c.json(await listSessions(auth, c)))
    app.post('/sessions/:handle/revoke', async (c) =>
      c.json({ revoked: await revokeSession(auth, c, c.req.param('handle')) }),
    )
    app.post('/sessions/revoke-all', async (c) => c.json({ revoked: await revokeAllSessions(auth, c) }))
    const jars = [new Jar(), new Jar()] as const
    for (const jar of jars) await logIn(app, idp, jar, '/login')
    const [one, two] = jars
    const listed = (await (await get(app, one, '/sessions')).json()) as { handle: string; current: boolean }[]
    expect(listed).toHaveLength(2)
    const other = listed.find((session) => !session.current)?.handle as string
    const sameOrigin = { 'sec-fetch-site': 'same-origin' }
    expect(await (await get(app, one, `/sessions/${other}/revoke`, sameOrigin, 'POST')).json()).toEqual({
      revoked: true,
    })
    expect(await (await get(app, two, '/sessions')).json()).toBeNull()
    const all = await get(app, one, '/sessions/revoke-all', sameOrigin, 'POST')
    expect(await all.json()).toEqual({ revoked: 1 })
    expect(all.headers.getSetCookie().some((line) => line.startsWith('auth.session=;'))).toBe(true)
    expect(await (await get(app, one, '/sessions')).json()).toBeNull()
  })

  it('answers 401 JSON to API calls without a session, 403 for a missing scope', async () => {
    const { app, provider } = await demoApp()
    const jar = new Jar()
    const api = await get(app, jar, '/api/me', { accept: 'application/json' })
    expect(api.status).toBe(401)
    expect(await api.json()).toEqual({ error: 'unauthorized', error_description: 'Sign-in required' })
    expect(await (await get(app, jar, '/')).json()).toEqual({ signedIn: false, sub: null })
    await logIn(app, provider, jar, '/login')
    const me = await get(app, jar, '/api/me')
    expect(await me.json()).toMatchObject({ sub: 'alice', scopes: expect.arrayContaining(['openid']) })
    const admin = await get(app, jar, '/admin')
    expect(admin.status).toBe(403)
    expect(await admin.json()).toMatchObject({ error: 'insufficient_scope' })
  })

  it('renews a rolling session and refreshes the access token through requireSession', async () => {
    let now = Date.now()
    const { app, provider } = await demoApp(() => now)
    const jar = new Jar()
    await logIn(app, provider, jar, '/login')
    const before = jar.cookies.get('auth.session')
    const first = (await (await get(app, jar, '/api/me')).json()) as { sub: string }
    expect(first.sub).toBe('alice')
    // 10 minutes later: the session cookie is rewritten (rolling), and the 5-minute access token refreshed.
    now += 10 * 60_000
    const renewed = await get(app, jar, '/api/me')
    expect(renewed.status).toBe(200)
    expect(renewed.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^auth\.session=.+; Max-Age=3600;/),
    ])
    expect(jar.cookies.get('auth.session')).not.toBe(before)
  })

  it('refuses a cross-site logout, logs out a same-origin one, and leaves other paths to the app', async () => {
    const { app, provider } = await demoApp()
    const jar = new Jar()
    await logIn(app, provider, jar, '/login')
    const refused = await jar.store(
      await app.request(`${ORIGIN}/logout`, {
        method: 'POST',
        headers: { cookie: jar.header(), 'sec-fetch-site': 'cross-site' },
      }),
    )
    expect(refused.status).toBe(403)
    const logout = await jar.store(
      await app.request(`${ORIGIN}/logout`, {
        method: 'POST',
        headers: { cookie: jar.header(), 'sec-fetch-site': 'same-origin' },
      }),
    )
    expect(logout.status).toBe(303)
    expect((await get(app, jar, '/api/me')).status).toBe(401)
    expect((await get(app, jar, '/nothing-here')).status).toBe(404)
  })
})
