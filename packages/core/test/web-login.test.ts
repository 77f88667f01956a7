import { describe, expect, it } from 'vitest'
import { devIdps } from './helpers/dev-idps.js'
import { APP_ORIGIN, authFor, TestBrowser } from './helpers/web-login.js'

// createAuth's routes against oidc-provider (a certified OpenID Provider) on 127.0.0.1: the
// IdP's login and consent are played by its scripted driver, the app side is auth.handler.
const idp = devIdps()

describe('web login against a real OpenID Provider', () => {
  it('logs in, shows the session without tokens, and returns to the same-origin returnTo', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const login = await browser.fetch('/login?returnTo=%2Fnotes%3Fpage%3D2')
    expect(login.status).toBe(302)
    const authorize = new URL(login.headers.get('location') as string)
    expect(authorize.origin + authorize.pathname).toBe(provider.endpoints.authorization)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP_ORIGIN}/callback`)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('nonce')).toEqual(expect.any(String))
    const txn = login.headers.getSetCookie()
    expect(txn).toHaveLength(1)
    expect(txn[0]).toMatch(/^auth\.session\.txn\.[\w-]{16}=.+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/)

    const callback = await provider.authorize(authorize, { sub: 'bob' })
    const done = await browser.fetch(callback.pathname + callback.search)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/notes?page=2')
    expect(done.headers.get('cache-control')).toBe('no-store')
    const names = done.headers.getSetCookie().map((line) => line.split('=', 1)[0])
    expect(names).toContain('auth.session')
    expect([...browser.cookies.keys()]).toEqual(['auth.session']) // the transaction cookie is gone

    const session = await browser.fetch('/session')
    expect(session.status).toBe(200)
    const body = (await session.json()) as { user: Record<string, unknown>; expiresAt: number }
    expect(body.user).toMatchObject({ sub: 'bob', iss: provider.issuer })
    for (const claim of ['nonce', 'aud', 'exp', 'at_hash']) expect(body.user).not.toHaveProperty(claim)
    const text = JSON.stringify(body)
    expect(text).not.toMatch(/eyJ/) // no JWT (access or ID token) in the answer
    const resolved = await browser.auth.resolveSession(browser.request('/'))
    expect(resolved.session?.accessToken).toEqual(expect.any(String))
    expect(resolved.session?.user.sub).toBe('bob')
  })

  it('serves concurrent logins from several tabs, each with its own transaction', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const first = await browser.startLogin(provider, '?returnTo=/first')
    const second = await browser.startLogin(provider, '?returnTo=/second')
    expect([...browser.cookies.keys()].filter((name) => name.includes('.txn.'))).toHaveLength(2)
    const done = await browser.fetch(first.pathname + first.search)
    expect(done.headers.get('location')).toBe('/first')
    const other = await browser.fetch(second.pathname + second.search)
    expect(other.headers.get('location')).toBe('/second')
  })

  it('caps transaction cookies: many parallel logins keep at most maxConcurrent', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider, { transaction: { maxConcurrent: 3 } }))
    for (let i = 0; i < 12; i++) await browser.fetch(`/login?returnTo=/tab${i}`)
    const txns = [...browser.cookies.keys()].filter((name) => name.includes('.txn.'))
    expect(txns).toHaveLength(3)
    // The newest logins survive.
    expect(browser.cookieHeader().length).toBeLessThan(3 * 700)
  })

  it('ends the session locally and at the provider with id_token_hint (same-origin POST)', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    await browser.login(provider)
    const logout = await browser.fetch('/logout', { method: 'POST', headers: { origin: APP_ORIGIN } })
    expect(logout.status).toBe(303)
    const endSession = new URL(logout.headers.get('location') as string)
    expect(endSession.origin + endSession.pathname).toBe(provider.endpoints.endSession)
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^eyJ/)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${APP_ORIGIN}/logged-out`)
    expect(browser.cookies.size).toBe(0)
    expect((await browser.fetch('/session')).status).toBe(401)
  })

  it('logs out locally only with idpLogout: false, on a same-origin GET navigation', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider, { idpLogout: false }))
    await browser.login(provider)
    const logout = await browser.fetch('/logout', { headers: { 'sec-fetch-site': 'same-origin' } })
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')).toBe(`${APP_ORIGIN}/logged-out`)
    expect(browser.cookies.size).toBe(0)
  })

  it('reports a refused consent with the stable code and error, on an escaped page', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const callback = await browser.startLogin(provider, '', { denyConsent: true })
    const page = await browser.fetch(callback.pathname + callback.search)
    expect(page.status).toBe(400)
    const html = await page.text()
    expect(html).toContain('ERR_AUTHORIZATION_DENIED')
    expect(html).toContain('access_denied')
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'")
    expect([...browser.cookies.keys()]).toEqual([]) // the transaction is consumed even on failure
  })

  it('answers JSON errors to API clients', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const response = await browser.fetch('/callback?code=x&state=y', {
      headers: { accept: 'application/json' },
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'ERR_TRANSACTION_MISSING' })
  })

  it('discovers the issuer on first use and retries discovery after a failure', async () => {
    const provider = await idp()
    const { createAuth } = await import('../src/index.js')
    const auth = createAuth({
      issuer: 'http://127.0.0.1:9/nothing-listens-here',
      clientId: 'x',
      session: { secrets: 'a-test-secret-that-is-long-enough-0123456789' },
      clientOptions: { timeout: 2000 },
    })
    const failed = await auth.handler(new Request(`${APP_ORIGIN}/auth/login`))
    expect(failed.status).toBe(502)
    expect(await failed.text()).not.toMatch(/at .*\.ts/) // no stack
    const working = createAuth({
      issuer: provider.issuer,
      clientId: provider.clients.basic.clientId,
      clientSecret: provider.clients.basic.clientSecret,
      session: { secrets: 'a-test-secret-that-is-long-enough-0123456789' },
      basePath: '/',
    })
    const browser = new TestBrowser(working)
    expect((await browser.login(provider)).status).toBe(302)
    expect((await browser.fetch('/session')).status).toBe(200)
  })
})

describe('form_post callbacks', () => {
  it('keeps the transaction cookie for a cross-site POST and reads the response from the form body', async () => {
    const provider = await idp()
    const browser = new TestBrowser(
      await authFor(provider, { authorizationParams: { response_mode: 'form_post' } }),
    )
    const login = await browser.fetch('/login?returnTo=/posted')
    expect(new URL(login.headers.get('location') as string).searchParams.get('response_mode')).toBe(
      'form_post',
    )
    expect(login.headers.getSetCookie()[0]).toMatch(/; Secure; SameSite=None$/)
    // The dev IdP's scripted driver follows redirects only: let it return the query form of the
    // same response, whose fields a browser would POST.
    const authorize = new URL(login.headers.get('location') as string)
    authorize.searchParams.delete('response_mode')
    const callback = await provider.authorize(authorize)
    const done = await browser.fetch('/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: callback.searchParams.toString(),
    })
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/posted')
    expect((await browser.fetch('/session')).status).toBe(200)
  })

  it('refuses a POST callback that is not a form', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const response = await browser.fetch('/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{"code":"x","state":"y"}',
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'ERR_CALLBACK_INVALID' })
  })
})
