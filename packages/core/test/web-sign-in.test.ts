import { describe, expect, it } from 'vitest'
import { createAuth, MemorySessionStore, OAuthClient } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { APP_ORIGIN, authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// `auth.signIn` / `auth.stepUp`: sessions the application establishes itself (a passkey), with
// no provider involved. The provider below is never reachable: a sign-in must not need it.
const idp = devIdps()
const SAME = { 'sec-fetch-site': 'same-origin' }
const PASSKEY_AMR = ['pop', 'user', 'mfa']

function offlineAuth(options: Partial<Parameters<typeof createAuth>[0]> = {}) {
  return createAuth({
    issuer: 'http://127.0.0.1:9/unreachable',
    clientId: 'app',
    basePath: '/',
    ...options,
    session: { secrets: SECRET, ...options.session },
  })
}

async function signIn(browser: TestBrowser, sub = 'user-1', headers: Record<string, string> = SAME) {
  const request = browser.request('/passkeys/authenticate/verify', { method: 'POST', headers })
  const result = await browser.auth.signIn(request, { user: { sub, name: 'Ada' }, amr: PASSKEY_AMR })
  browser.store(
    new Response(null, { headers: result.cookies.map((c): [string, string] => ['set-cookie', c]) }),
  )
  return result
}

describe('auth.signIn', () => {
  it('writes a session without tokens that requireSession accepts, with iss, auth_time and amr', async () => {
    let now = 1_800_000_000_000
    const browser = new TestBrowser(offlineAuth({ now: () => now }))
    const { session, cookies } = await signIn(browser)
    expect(cookies.some((line) => line.startsWith('auth.session='))).toBe(true)
    expect(session.user).toEqual({
      sub: 'user-1',
      name: 'Ada',
      iss: APP_ORIGIN,
      auth_time: 1_800_000_000,
      amr: PASSKEY_AMR,
    })
    expect(session.accessToken).toBeUndefined()
    const check = await browser.auth.requireSession(browser.request('/account'), { maxAge: 300 })
    if (!check.ok) throw new Error(`refused: ${check.response.status}`)
    expect(check.auth.claims['amr']).toEqual(PASSKEY_AMR)
    expect(check.auth.token).toBeUndefined()
    // The session route shows it; sessionFetch refuses (no access token).
    const route = await browser.fetch('/session')
    expect(await route.json()).toMatchObject({ user: { sub: 'user-1', iss: APP_ORIGIN } })
    const apiFetch = browser.auth.sessionFetch(session, { allowedOrigins: ['https://api.example'] })
    await expect(apiFetch('https://api.example/x')).rejects.toMatchObject({
      code: 'ERR_ACCESS_TOKEN_MISSING',
    })
    // Ten minutes later a 5-minute step-up page refuses it (401 for an API call).
    now += 600_000
    const late = await browser.auth.requireSession(
      browser.request('/pay', { headers: { accept: 'application/json' } }),
      { maxAge: 300 },
    )
    if (late.ok) throw new Error('an old passkey sign-in passed maxAge')
    expect(late.response.status).toBe(401)
    expect(await late.response.json()).toMatchObject({ error: 'insufficient_user_authentication' })
  })

  it('logs out locally without asking the provider, which is unreachable', async () => {
    const browser = new TestBrowser(offlineAuth())
    await signIn(browser)
    const out = await browser.fetch('/logout', { method: 'POST', headers: SAME })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe(`${APP_ORIGIN}/`)
    expect(browser.cookies.has('auth.session')).toBe(false)
    expect((await browser.fetch('/session')).status).toBe(401)
  })

  it('replaces the previous session (session fixation): a store forgets it', async () => {
    const store = new MemorySessionStore()
    const browser = new TestBrowser(offlineAuth({ session: { secrets: SECRET, store } }))
    await signIn(browser, 'attacker')
    const planted = browser.cookieHeader()
    const mine = await signIn(browser, 'victim')
    expect(mine.session.user.sub).toBe('victim')
    // The planted cookie no longer names a session.
    const old = new Request(`${APP_ORIGIN}/`, { headers: { cookie: planted } })
    expect(await browser.auth.getSession(old)).toBeNull()
    expect((await browser.auth.getSession(browser.request('/')))?.user.sub).toBe('victim')
  })

  it('refuses a cross-site request and claims the session sets', async () => {
    const browser = new TestBrowser(offlineAuth())
    await expect(signIn(browser, 'u', { 'sec-fetch-site': 'cross-site' })).rejects.toMatchObject({
      code: 'ERR_CROSS_SITE_REQUEST',
      status: 403,
    })
    await expect(signIn(browser, 'u', { origin: 'https://evil.example' })).rejects.toMatchObject({
      code: 'ERR_CROSS_SITE_REQUEST',
    })
    const request = browser.request('/x', { method: 'POST', headers: SAME })
    for (const user of [
      { sub: 'u', iss: 'https://idp.example' },
      { sub: 'u', auth_time: 1 },
      { sub: 'u', amr: ['pwd'] },
      { sub: '' },
    ]) {
      await expect(browser.auth.signIn(request, { user, amr: PASSKEY_AMR })).rejects.toBeInstanceOf(TypeError)
    }
    await expect(browser.auth.signIn(request, { user: { sub: 'u' }, amr: [] })).rejects.toBeInstanceOf(
      TypeError,
    )
    await expect(browser.auth.signIn(request, { user: { sub: 'u' }, amr: ['a b'] })).rejects.toBeInstanceOf(
      TypeError,
    )
    const big = { note: 'x'.repeat(5000) }
    await expect(
      browser.auth.signIn(request, { user: { sub: 'u' }, amr: PASSKEY_AMR, data: big }),
    ).rejects.toBeInstanceOf(TypeError)
    expect(browser.cookies.size).toBe(0)
    // Small data is kept as session.data.
    const kept = await browser.auth.signIn(request, {
      user: { sub: 'u' },
      amr: PASSKEY_AMR,
      data: { team: 'a' },
    })
    expect(kept.session.data).toEqual({ team: 'a' })
  })

  it('takes localIssuer, and refuses one equal to the provider issuer', async () => {
    const browser = new TestBrowser(offlineAuth({ localIssuer: 'https://app.example/passkeys' }))
    expect((await signIn(browser)).session.user['iss']).toBe('https://app.example/passkeys')
    expect(() => offlineAuth({ localIssuer: 'http://127.0.0.1:9/unreachable' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => offlineAuth({ localIssuer: 'not a url' })).toThrow(/localIssuer/)
    // The default (the app's origin) equal to the provider's issuer is refused when signing in.
    const client = new OAuthClient({
      clientId: 'app',
      metadata: {
        issuer: APP_ORIGIN,
        authorization_endpoint: `${APP_ORIGIN}/a`,
        token_endpoint: `${APP_ORIGIN}/t`,
      },
    })
    const same = new TestBrowser(createAuth({ client, session: { secrets: SECRET } }))
    await expect(signIn(same)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
  })
})

describe('auth.stepUp', () => {
  it('refreshes auth_time and amr of an OIDC session, keeping its tokens', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(await authFor(provider, { now: () => now }))
    await browser.login(provider, '', { sub: 'alice' })
    const page = () => browser.request('/pay', { headers: { accept: 'application/json' } })
    const before = await browser.auth.requireSession(page(), { maxAge: 300 })
    expect(before.ok).toBe(false) // no auth_time from this login: age unknown
    now += 1000
    const request = browser.request('/passkeys/step-up/verify', { method: 'POST', headers: SAME })
    await expect(browser.auth.stepUp(request, { sub: 'mallory', amr: PASSKEY_AMR })).rejects.toMatchObject({
      code: 'ERR_STEP_UP_WRONG_USER',
      status: 403,
    })
    const stepped = await browser.auth.stepUp(request, { sub: 'alice', amr: PASSKEY_AMR })
    browser.store(
      new Response(null, { headers: stepped.cookies.map((c): [string, string] => ['set-cookie', c]) }),
    )
    const after = await browser.auth.requireSession(page(), { maxAge: 300 })
    if (!after.ok) throw new Error(`refused after step-up: ${after.response.status}`)
    expect(after.auth.claims).toMatchObject({
      sub: 'alice',
      iss: provider.issuer,
      auth_time: Math.floor(now / 1000),
      amr: PASSKEY_AMR,
    })
    expect(after.auth.token).toEqual(expect.any(String)) // the provider's tokens stay
  })

  it('drops the acr of the earlier login: a fresh auth_time never carries an older, stronger class', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(await authFor(provider, { now: () => now }))
    const login = await browser.fetch(`/login?max_age=3600&acr_values=${encodeURIComponent('urn:dev:loa:2')}`)
    const callback = await provider.authorize(login.headers.get('location') as string)
    await browser.fetch(callback.pathname + callback.search)
    const strong = { acrValues: ['urn:dev:loa:2'], maxAge: 300 }
    expect((await browser.auth.requireSession(browser.request('/pay'), strong)).ok).toBe(true)
    now += 6 * 3600_000 // the strong login is six hours old
    expect((await browser.auth.requireSession(browser.request('/pay'), strong)).ok).toBe(false)
    const request = browser.request('/passkeys/step-up/verify', { method: 'POST', headers: SAME })
    const stepped = await browser.auth.stepUp(request, { sub: 'alice', amr: PASSKEY_AMR })
    browser.store(
      new Response(null, { headers: stepped.cookies.map((c): [string, string] => ['set-cookie', c]) }),
    )
    const after = await browser.auth.requireSession(browser.request('/pay'), strong)
    expect(after.ok).toBe(false) // recent, but not loa:2
    const recent = await browser.auth.requireSession(browser.request('/pay'), { maxAge: 300 })
    if (!recent.ok) throw new Error('the stepped-up session is not recent')
    expect(recent.auth.claims['acr']).toBeUndefined()
  })

  it('needs a session and a same-origin request', async () => {
    const browser = new TestBrowser(offlineAuth())
    const post = (headers: Record<string, string>) =>
      browser.request('/passkeys/step-up/verify', { method: 'POST', headers })
    await expect(browser.auth.stepUp(post(SAME), { sub: 'u', amr: PASSKEY_AMR })).rejects.toMatchObject({
      code: 'ERR_SESSION_REQUIRED',
      status: 401,
    })
    await signIn(browser, 'u')
    await expect(
      browser.auth.stepUp(post({ 'sec-fetch-site': 'same-site' }), { sub: 'u', amr: PASSKEY_AMR }),
    ).rejects.toMatchObject({ code: 'ERR_CROSS_SITE_REQUEST' })
  })

  it('does not bring back a session revoked meanwhile (store)', async () => {
    const store = new MemorySessionStore()
    const browser = new TestBrowser(offlineAuth({ session: { secrets: SECRET, store } }))
    await signIn(browser, 'u')
    const request = browser.request('/x', { method: 'POST', headers: SAME })
    const revoked = await browser.auth.revokeAllSessions(request)
    expect(revoked.revoked).toBe(1)
    await expect(browser.auth.stepUp(request, { sub: 'u', amr: PASSKEY_AMR })).rejects.toMatchObject({
      code: 'ERR_SESSION_REQUIRED',
    })
    expect(await browser.auth.getSession(request)).toBeNull()
  })
})
