/**
 * `requireSessionNow`: the adapters' synchronous answer for a cookie seen before. It must answer
 * exactly as `requireSession` would, and leave to it every case that needs waiting or a cookie:
 * a first sight of the value, a store, a due renewal or refresh, an expired session.
 */
import { describe, expect, it } from 'vitest'
import { type AuthOptions, createAuth, MemorySessionStore } from '../src/index.js'
import { resolveConfig, siteResolver } from '../src/web/auth-config.js'
import { parseCookies } from '../src/web/cookies.js'
import { createSealer } from '../src/web/seal.js'
import { SessionCookies } from '../src/web/session-cookie.js'
import type { SessionData } from '../src/web/session-store.js'
import { SECRET } from './helpers/web-login.js'

const ORIGIN = 'https://app.example.com'

/** An `Auth` on a settable clock, and the `Cookie` header of a session written for it. */
async function setup(session: Partial<SessionData> = {}, options: Partial<AuthOptions> = {}) {
  const clock = { now: Date.now() }
  const base = {
    client: {} as never,
    baseUrl: ORIGIN,
    now: () => clock.now,
    ...options,
    session: { secrets: SECRET, ...options.session },
  } as AuthOptions
  const auth = createAuth(base)
  const config = resolveConfig(base)
  const cookies = new SessionCookies(config, createSealer(config.secrets, 'session', config.now))
  const site = siteResolver(config)(new Request(`${ORIGIN}/`))
  const now = Math.floor(clock.now / 1000)
  const data: SessionData = {
    id: 'id',
    user: { sub: 'alice' },
    tokens: { accessToken: 'at', scope: 'openid read' },
    createdAt: now,
    expiresAt: now + 600,
    ...session,
  }
  const written = await cookies.write(site, new Map(), data)
  const header = written.cookies.map((line) => line.split(';', 1)[0]).join('; ')
  expect(parseCookies(header).size).toBe(1)
  const request = () => new Request(`${ORIGIN}/protected`, { headers: { cookie: header } })
  return { auth, clock, request }
}

describe('requireSessionNow', () => {
  it('leaves a cookie it has not unsealed yet to requireSession, then answers as it does', async () => {
    const { auth, request } = await setup()
    expect(auth.requireSessionNow(request())).toBeUndefined()
    const checked = await auth.requireSession(request())
    expect(checked).toMatchObject({ ok: true, cookies: [] })
    const now = auth.requireSessionNow(request())
    expect(now).toMatchObject({ ok: true, cookies: [] })
    expect(now?.ok && now.auth.claims).toEqual({ sub: 'alice' })
    expect(now?.ok && now.auth.scopes).toEqual(['openid', 'read'])
    expect(now?.ok && now.auth.token).toBe('at')
  })

  it('hands the requests of one cookie the same frozen session and context, which no handler can change', async () => {
    const { auth, request } = await setup()
    await auth.requireSession(request())
    const first = auth.requireSessionNow(request())
    const second = auth.requireSessionNow(request())
    if (!first?.ok || !second?.ok) throw new Error('expected two answers from the cache')
    expect(second.auth).toBe(first.auth)
    const { auth: context } = first
    for (const value of [context, context.session, context.scopes, context.claims]) {
      expect(Object.isFrozen(value)).toBe(true)
    }
    // A handler that tries to widen its own request's grant changes nothing for the next one.
    expect(() => (context.scopes as string[]).push('admin')).toThrow(TypeError)
    expect(() => Object.assign(context.session, { scope: 'admin' })).toThrow(TypeError)
    expect(() => Object.assign(context.claims, { sub: 'mallory' })).toThrow(TypeError)
    const third = auth.requireSessionNow(request())
    expect(third?.ok && third.auth.scopes).toEqual(['openid', 'read'])
    expect(third?.ok && third.auth.claims.sub).toBe('alice')
  })

  it('answers 403 for a missing scope, as requireSession does', async () => {
    const { auth, request } = await setup()
    await auth.requireSession(request())
    const now = auth.requireSessionNow(request(), { scopes: ['write'] })
    expect(now?.ok).toBe(false)
    expect(now?.ok === false && now.response.status).toBe(403)
  })

  it('leaves a due renewal, a due refresh and an expired session to requireSession', async () => {
    const { auth, clock, request } = await setup()
    await auth.requireSession(request())
    expect(auth.requireSessionNow(request())).toBeDefined()
    // A minute on: the rolling session is rewritten, which only requireSession does.
    clock.now += 61_000
    expect(auth.requireSessionNow(request())).toBeUndefined()
    expect((await auth.requireSession(request())) as { cookies: string[] }).toMatchObject({
      ok: true,
      cookies: [expect.stringMatching(/^__Host-/)],
    })
    // Past the session's end (a day of inactivity by default): refused by requireSession, never served from the cache.
    clock.now += 2 * 86_400_000
    expect(auth.requireSessionNow(request())).toBeUndefined()
    expect((await auth.requireSession(request())).ok).toBe(false)

    const due = await setup({ tokens: { accessToken: 'at', refreshToken: 'rt', expiresAt: 1 } })
    expect(due.auth.requireSessionNow(due.request())).toBeUndefined()
  })

  it('never answers for a session store: the store is asked on every request (revocation)', async () => {
    const store = new MemorySessionStore()
    const { auth, request } = await setup({}, { session: { secrets: SECRET, store } })
    await auth.requireSession(request())
    expect(auth.requireSessionNow(request())).toBeUndefined()
  })
})
