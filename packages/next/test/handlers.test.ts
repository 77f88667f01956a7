import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, ORIGIN, request } from './helpers.js'

// The catch-all route's handlers called with `new Request(...)`, against oidc-provider on
// 127.0.0.1 (login and consent played by the dev IdP's scripted driver).
let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})

describe('createNextAuth handlers', () => {
  it('serves the routes under /api/auth by default, where the registered redirect URI points', async () => {
    const nextAuth = createNextAuth(loginOptions(idp))
    expect(nextAuth.auth().paths).toEqual({
      login: '/api/auth/login',
      callback: '/api/auth/callback',
      logout: '/api/auth/logout',
      session: '/api/auth/session',
      backchannelLogout: '/api/auth/backchannel-logout',
    })
    const login = await nextAuth.handlers.GET(request(new Jar(), '/api/auth/login'))
    expect(login.status).toBe(302)
    const authorization = new URL(login.headers.get('location') as string)
    expect(authorization.searchParams.get('redirect_uri')).toBe(`${ORIGIN}/api/auth/callback`)
    expect((await nextAuth.handlers.GET(request(new Jar(), '/api/auth/nothing'))).status).toBe(404)
  })

  it('onLogin: its data reaches getSessionFromRequest, and false refuses the login', async () => {
    const nextAuth = createNextAuth(
      loginOptions(idp, { onLogin: ({ user }) => ({ data: { team: `team-of-${user.sub}` } }) }),
    )
    const jar = new Jar()
    expect((await logIn(nextAuth, idp, jar)).status).toBe(302)
    expect((await nextAuth.getSessionFromRequest(request(jar, '/')))?.data).toEqual({ team: 'team-of-alice' })
    const refusing = createNextAuth(loginOptions(idp, { onLogin: () => false }))
    const other = new Jar()
    const refused = await logIn(refusing, idp, other)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('ERR_LOGIN_REFUSED')
    expect(other.cookies.has('auth.session')).toBe(false)
  })

  it('logs in, exposes the session, and logs out at the app and the IdP', async () => {
    const nextAuth = createNextAuth(loginOptions(idp))
    const jar = new Jar()
    const callback = await logIn(nextAuth, idp, jar, '/profile?tab=1')
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/profile?tab=1')
    expect(jar.cookies.has('auth.session')).toBe(true)

    const session = await nextAuth.handlers.GET(request(jar, '/api/auth/session'))
    expect(session.status).toBe(200)
    const body = (await session.json()) as { user: { sub: string } }
    expect(body.user).toMatchObject({ sub: 'alice', email: 'alice@example.test', iss: idp.issuer })
    expect(JSON.stringify(body)).not.toMatch(/eyJ/) // no token leaves the server
    const read = await nextAuth.getSessionFromRequest(request(jar, '/'))
    expect(read?.user.sub).toBe('alice')
    expect(read?.accessToken).toMatch(/^eyJ/)

    const logout = jar.store(
      await nextAuth.handlers.POST(
        request(jar, '/api/auth/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } }),
      ),
    )
    expect(logout.status).toBe(303)
    const endSession = new URL(logout.headers.get('location') as string)
    expect(endSession.href.startsWith(idp.endpoints.endSession)).toBe(true)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${ORIGIN}/`)
    expect(jar.cookies.has('auth.session')).toBe(false)
    expect(await nextAuth.getSessionFromRequest(request(jar, '/'))).toBeNull()
  })

  it('refuses a cross-site logout and keeps the session', async () => {
    const nextAuth = createNextAuth(loginOptions(idp))
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const refused = await nextAuth.handlers.POST(
      request(jar, '/api/auth/logout', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }),
    )
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('ERR_CROSS_SITE_REQUEST')
    expect((await nextAuth.getSessionFromRequest(request(jar, '/')))?.user.sub).toBe('alice')
  })

  it('answers a forged callback with the error page and no session', async () => {
    const nextAuth = createNextAuth(loginOptions(idp))
    const jar = new Jar()
    const forged = await nextAuth.handlers.GET(request(jar, '/api/auth/callback?code=abc&state=forged'))
    expect(forged.status).toBe(400)
    expect(forged.headers.getSetCookie().some((line) => line.startsWith('auth.session='))).toBe(false)
  })

  it('moves every route with basePath', async () => {
    const nextAuth = createNextAuth(loginOptions(idp, { basePath: '/auth' }))
    expect(nextAuth.auth().paths.callback).toBe('/auth/callback')
    expect((await nextAuth.handlers.GET(request(new Jar(), '/api/auth/login'))).status).toBe(404)
    expect((await nextAuth.handlers.GET(request(new Jar(), '/auth/login'))).status).toBe(302)
  })

  it('checks options at creation, and fails closed when a lazy configuration is broken', async () => {
    expect(() => createNextAuth({ ...loginOptions(idp), session: { secrets: 'short' } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    let calls = 0
    const lazy = createNextAuth(() => {
      calls++
      return { ...loginOptions(idp), basePath: 'no-slash' }
    })
    expect(calls).toBe(0) // nothing runs at import time (next build evaluates route modules)
    await expect(lazy.handlers.GET(request(new Jar(), '/api/auth/login'))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    const proxy = lazy.proxy({ protect: ['/profile'] })
    await expect(proxy(request(new Jar(), '/profile'))).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    expect(await lazy.getSessionFromRequest(request(new Jar(), '/'))).toBeNull()
    expect(calls).toBe(3) // tried again on every use until it succeeds
  })
})
