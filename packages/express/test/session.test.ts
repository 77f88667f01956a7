import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth, MemorySessionStore, OAuthClient, type OnLogin } from '@org/auth-core'
import { type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import express, { type NextFunction, type Request, type Response } from 'express'
import supertest from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import '../src/globals.js'
import {
  auth,
  authErrorHandler,
  getAuth,
  getSession,
  listSessions,
  requireScopes,
  requireSession,
  revokeAllSessions,
  revokeSession,
} from '../src/index.js'

// @org/auth-express's web login against oidc-provider on 127.0.0.1, served by a listening
// Express 5 app (the routes go through the core's Node bridge).
const SECRET = 'an-express-test-secret-that-is-long-enough'
let idp: DevIdp | undefined
let server: Server | undefined
afterEach(async () => {
  server?.close()
  await idp?.close()
  idp = server = undefined
})

async function start(now: () => number = Date.now, onLogin?: OnLogin) {
  idp = await startDevIdp()
  const client = await OAuthClient.discover(idp.issuer, {
    clientId: 'express-demo',
    clientSecret: 'express-demo-secret',
  })
  const login = createAuth({
    client,
    scopes: ['openid', 'profile', 'offline_access', 'read'],
    authorizationParams: { prompt: 'consent' },
    session: { secrets: SECRET, maxAge: 3600 },
    now,
    ...(onLogin === undefined ? {} : { onLogin }),
  })
  const app = express()
  app.use(auth(login))
  app.get('/', async (req, res) => {
    const session = await getSession(req)
    res.json({ sub: session?.user.sub ?? null })
  })
  app.get('/dashboard', requireSession(), (req, res) => {
    res.send(`hello ${req.auth?.claims.sub}`)
  })
  // The session check must leave the body to the route's own parser.
  app.post('/notes', requireSession(), express.json(), (req, res) => {
    res.status(201).json({ by: req.auth?.claims.sub, note: req.body })
  })
  app.get('/data', requireSession(), (req, res) => {
    const auth = getAuth(req)
    res.json(auth !== undefined && 'session' in auth ? (auth.session.data ?? null) : 'not a session')
  })
  app.get('/reader', requireSession(), requireScopes('read'), (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/admin', requireSession(), requireScopes('admin'), (_req, res) => {
    res.json({ ok: true })
  })
  app.use(authErrorHandler())
  const listening = app.listen(0, '127.0.0.1')
  server = listening
  await new Promise((resolve) => listening.once('listening', resolve))
  const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
  return { app, origin, provider: idp }
}

describe('@org/auth-express web login', () => {
  it('redirects a page to login and back, and serves the signed-in user after the callback', async () => {
    const { app, origin, provider } = await start()
    const page = await supertest(app).get('/dashboard?tab=1').set('Accept', 'text/html')
    expect(page.status).toBe(302)
    expect(page.headers['location']).toBe('/auth/login?returnTo=%2Fdashboard%3Ftab%3D1')
    const { jar, landing } = await signInToApp(provider.authorize, `${origin}${page.headers['location']}`)
    expect(landing.status).toBe(302)
    expect(landing.headers.get('location')).toBe('/dashboard?tab=1')
    const dashboard = await fetch(`${origin}/dashboard`, { headers: { cookie: jar.header() } })
    expect(await dashboard.text()).toBe('hello alice')
    expect(await (await fetch(`${origin}/`, { headers: { cookie: jar.header() } })).json()).toEqual({
      sub: 'alice',
    })
    const session = await fetch(`${origin}/auth/session`, { headers: { cookie: jar.header() } })
    expect(await session.json()).toMatchObject({ user: { sub: 'alice', name: expect.any(String) } })
  })

  it('onLogin: its data reaches the route through getAuth, and false refuses the login', async () => {
    const onLogin: OnLogin = ({ user }) =>
      user.sub === 'mallory' ? false : { data: { team: `team-of-${user.sub}` } }
    const { origin, provider } = await start(Date.now, onLogin)
    const { jar } = await signInToApp(provider.authorize, `${origin}/auth/login`)
    const data = await fetch(`${origin}/data`, { headers: { cookie: jar.header() } })
    expect(await data.json()).toEqual({ team: 'team-of-alice' })
    const refused = await signInToApp(provider.authorize, `${origin}/auth/login`, { sub: 'mallory' })
    expect(refused.landing.status).toBe(403)
    expect(await refused.landing.text()).toContain('ERR_LOGIN_REFUSED')
    expect(refused.jar.header()).not.toContain('auth.session=')
  })

  it("lists the user's sessions and signs out everywhere else (listSessions, revokeSession, revokeAllSessions)", async () => {
    idp = await startDevIdp()
    const client = await OAuthClient.discover(idp.issuer, {
      clientId: 'express-demo',
      clientSecret: 'express-demo-secret',
    })
    const app = express()
    app.use(auth(createAuth({ client, session: { secrets: SECRET, store: new MemorySessionStore() } })))
    app.get('/sessions', async (req, res) => {
      res.json(await listSessions(req))
    })
    app.post('/sessions/:handle/revoke', async (req, res) => {
      res.json({ revoked: await revokeSession(req, req.params.handle as string) })
    })
    app.post('/sessions/revoke-others', async (req, res) => {
      res.json({ revoked: await revokeAllSessions(req, res, { keepCurrent: true }) })
    })
    app.use(authErrorHandler())
    const listening = app.listen(0, '127.0.0.1')
    server = listening
    await new Promise((resolve) => listening.once('listening', resolve))
    const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
    const one = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const two = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const three = await signInToApp(idp.authorize, `${origin}/auth/login`)
    const get = (jar: typeof one.jar, path: string) =>
      fetch(`${origin}${path}`, { headers: { cookie: jar.header() } })
    const post = (jar: typeof one.jar, path: string, headers: Record<string, string> = { origin }) =>
      fetch(`${origin}${path}`, { method: 'POST', headers: { cookie: jar.header(), ...headers } })
    const listed = (await (await get(one.jar, '/sessions')).json()) as { handle: string; current: boolean }[]
    expect(listed).toHaveLength(3)
    expect(listed.filter((session) => session.current)).toHaveLength(1)
    const twos = (await (await get(two.jar, '/sessions')).json()) as { handle: string; current: boolean }[]
    const handleOfTwo = twos.find((session) => session.current)?.handle as string
    expect(
      (await post(one.jar, `/sessions/${handleOfTwo}/revoke`, { 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(403)
    expect(await (await post(one.jar, `/sessions/${handleOfTwo}/revoke`)).json()).toEqual({ revoked: true })
    expect(await (await get(two.jar, '/sessions')).json()).toBeNull()
    expect(await (await post(one.jar, '/sessions/revoke-others')).json()).toEqual({ revoked: 1 })
    expect(await (await get(three.jar, '/sessions')).json()).toBeNull()
    expect((await (await get(one.jar, '/sessions')).json()) as unknown[]).toHaveLength(1)
  })

  it('answers API calls without a session with 401 JSON, and missing scopes with 403', async () => {
    const { origin, provider } = await start()
    const anonymous = await fetch(`${origin}/dashboard`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.json()).toEqual({ error: 'unauthorized', error_description: 'Sign-in required' })
    const { jar } = await signInToApp(provider.authorize, `${origin}/auth/login`)
    expect((await fetch(`${origin}/reader`, { headers: { cookie: jar.header() } })).status).toBe(200)
    const admin = await fetch(`${origin}/admin`, { headers: { cookie: jar.header() } })
    expect(admin.status).toBe(403)
    expect(admin.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
  })

  it('leaves the request body to the route after the session check', async () => {
    const { origin, provider } = await start()
    const { jar } = await signInToApp(provider.authorize, `${origin}/auth/login`)
    const created = await fetch(`${origin}/notes`, {
      method: 'POST',
      headers: { cookie: jar.header(), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'hello' }),
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ by: 'alice', note: { text: 'hello' } })
  })

  it('writes renewal and refresh cookies on the protected response', async () => {
    let now = Date.now()
    const { origin, provider } = await start(() => now)
    const { jar } = await signInToApp(provider.authorize, `${origin}/auth/login`)
    now += 10 * 60_000 // past the 5-minute access token: refreshed, and the rolling session renewed
    const renewed = await fetch(`${origin}/dashboard`, { headers: { cookie: jar.header() } })
    expect(renewed.status).toBe(200)
    expect(renewed.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^auth\.session=.+; Max-Age=3600;/),
    ])
  })

  it('refuses a cross-site logout and accepts a same-origin one', async () => {
    const { origin, provider } = await start()
    const { jar } = await signInToApp(provider.authorize, `${origin}/auth/login`)
    const refused = await fetch(`${origin}/auth/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), origin: 'https://evil.example' },
    })
    expect(refused.status).toBe(403)
    const logout = await fetch(`${origin}/auth/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), origin },
    })
    expect(logout.status).toBe(303)
    jar.store(logout)
    expect((await fetch(`${origin}/dashboard`, { headers: { cookie: jar.header() } })).status).toBe(401)
  })

  it('checks the scope names of requireSession() when it is created', () => {
    expect(() => requireSession({ scopes: ['read write'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => requireSession({ scopes: ['read'] })).not.toThrow()
  })

  it('reports requireSession() without auth() as a configuration error, not a bare 401', async () => {
    const app = express()
    app.get('/x', requireSession(), (_req, res) => {
      res.send('unreachable')
    })
    app.use(authErrorHandler())
    const response = await supertest(app).get('/x')
    expect(response.status).toBe(500)
    expect(response.body).toEqual({ error: 'server_error', error_description: 'Internal server error' })
  })

  it('says so when a middleware replaced res.locals (where auth() leaves its state) before requireSession()', async () => {
    const app = express()
    app.use(auth(createAuth({ issuer: 'https://idp.example', clientId: 'c', session: { secrets: SECRET } })))
    app.use((_req, res, next) => {
      res.locals = {}
      next()
    })
    let reported: unknown
    app.get('/x', requireSession(), (_req, res) => {
      res.send('unreachable')
    })
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      reported = error
      res.status(500).end()
    })
    expect((await supertest(app).get('/x')).status).toBe(500)
    expect(reported).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: expect.stringContaining('res.locals'),
    })
  })
})
