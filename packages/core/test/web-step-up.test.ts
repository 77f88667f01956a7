import { describe, expect, it } from 'vitest'
import { devIdps } from './helpers/dev-idps.js'
import { APP_ORIGIN, authFor, TestBrowser } from './helpers/web-login.js'

// RFC 9470 step-up in the web login, against oidc-provider: a page that needs a stronger or a
// more recent login sends the browser through the login route with `acr_values` / `max_age`, the
// provider re-authenticates, and the callback checks the new ID token meets the requirement.
const idp = devIdps()
const STRONG = 'urn:dev:loa:2'
const page = (browser: TestBrowser, path = '/payments') =>
  browser.request(path, { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } })

describe('step-up in the web login (RFC 9470)', () => {
  it('sends a weaker session through a login that asks for acr_values, then admits the stronger one', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    expect((await browser.login(provider)).status).toBe(302)
    const before = await browser.auth.requireSession(page(browser))
    expect(before.ok).toBe(true) // no requirement: the baseline login is enough

    const check = await browser.auth.requireSession(page(browser), { acrValues: [STRONG] })
    if (check.ok) throw new Error('a baseline login passed a step-up page')
    expect(check.response.status).toBe(302)
    const location = new URL(check.response.headers.get('location') as string, APP_ORIGIN)
    expect(location.pathname).toBe('/login')
    expect(location.searchParams.get('returnTo')).toBe('/payments')
    expect(location.searchParams.get('acr_values')).toBe(STRONG)

    const login = await browser.fetch(location.pathname + location.search)
    const authorize = new URL(login.headers.get('location') as string)
    expect(authorize.searchParams.get('acr_values')).toBe(STRONG)
    const callback = await provider.authorize(authorize)
    const done = await browser.fetch(callback.pathname + callback.search)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/payments')

    const after = await browser.auth.requireSession(page(browser), { acrValues: [STRONG] })
    if (!after.ok) throw new Error(`the stepped-up session was refused: ${after.response.status}`)
    expect(after.auth.claims['acr']).toBe(STRONG)
  })

  it('refuses the callback when the provider ignored acr_values (no redirect loop)', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const login = await browser.fetch(`/login?returnTo=/payments&acr_values=${encodeURIComponent(STRONG)}`)
    const callback = await provider.authorize(login.headers.get('location') as string, {
      acr: 'urn:dev:loa:1',
    })
    const done = await browser.fetch(callback.pathname + callback.search, {
      headers: { accept: 'application/json' },
    })
    expect(done.status).toBe(400)
    expect(await done.json()).toMatchObject({ error: 'ERR_LOGIN_ACR_NOT_MET' })
    expect(browser.cookies.has('auth.session')).toBe(false)
  })

  it('asks for a fresh login with max_age once the login is older than the page allows', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(await authFor(provider, { now: () => now }))
    await browser.login(provider)
    // A login made without max_age has no auth_time (the provider sends it only when asked): its
    // age is unknown, so a page with maxAge sends it through a login that asks for max_age.
    const unknown = await browser.auth.requireSession(page(browser), { maxAge: 300 })
    if (unknown.ok) throw new Error('a login of unknown age passed max_age')
    const location = new URL(unknown.response.headers.get('location') as string, APP_ORIGIN)
    expect(location.searchParams.get('max_age')).toBe('300')
    const login = await browser.fetch(location.pathname + location.search)
    const authorize = new URL(login.headers.get('location') as string)
    expect(authorize.searchParams.get('max_age')).toBe('300')
    const callback = await provider.authorize(authorize)
    expect((await browser.fetch(callback.pathname + callback.search)).headers.get('location')).toBe(
      '/payments',
    )
    const fresh = await browser.auth.requireSession(page(browser), { maxAge: 300 })
    if (!fresh.ok) throw new Error(`a fresh login was refused: ${fresh.response.status}`)
    expect(fresh.auth.claims['auth_time']).toEqual(expect.any(Number))

    now += 600_000 // ten minutes later
    const api = browser.request('/api/transfer', { headers: { accept: 'application/json' } })
    const refused = await browser.auth.requireSession(api, { maxAge: 300 })
    if (refused.ok) throw new Error('an old login passed max_age')
    expect(refused.response.status).toBe(401)
    expect(await refused.response.json()).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'A more recent authentication is required',
      max_age: 300,
    })
    expect((await browser.auth.requireSession(api, { maxAge: 900 })).ok).toBe(true)
  })

  it('refuses malformed step-up parameters on the login route with 400', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    for (const query of [
      'max_age=-1',
      'max_age=1e3',
      'max_age=99999999999',
      'acr_values=',
      'acr_values=a%20%20b',
      'acr_values=%22x%22',
    ]) {
      const response = await browser.fetch(`/login?${query}`, { headers: { accept: 'application/json' } })
      expect(response.status, query).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'ERR_LOGIN_PARAMETERS_INVALID' })
    }
  })

  it('a step-up max_age only tightens the configured one', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider, { authorizationParams: { max_age: '60' } }))
    const looser = await browser.fetch('/login?max_age=3600')
    expect(new URL(looser.headers.get('location') as string).searchParams.get('max_age')).toBe('60')
    const tighter = await browser.fetch('/login?max_age=10')
    expect(new URL(tighter.headers.get('location') as string).searchParams.get('max_age')).toBe('10')
  })

  it('never asks for an acr value outside the configured acr_values (no downgrade by a login link)', async () => {
    const provider = await idp()
    const strict = new TestBrowser(await authFor(provider, { authorizationParams: { acr_values: STRONG } }))
    const weaker = await strict.fetch('/login?acr_values=urn:dev:loa:1', {
      headers: { accept: 'application/json' },
    })
    expect(weaker.status).toBe(400)
    expect(await weaker.json()).toMatchObject({ error: 'ERR_LOGIN_PARAMETERS_INVALID' })
    const plain = await strict.fetch('/login')
    expect(new URL(plain.headers.get('location') as string).searchParams.get('acr_values')).toBe(STRONG)

    const listed = new TestBrowser(
      await authFor(provider, { authorizationParams: { acr_values: `urn:dev:loa:1 ${STRONG}` } }),
    )
    const stepUp = await listed.fetch(`/login?acr_values=${encodeURIComponent(STRONG)}`)
    expect(stepUp.status).toBe(302)
    expect(new URL(stepUp.headers.get('location') as string).searchParams.get('acr_values')).toBe(STRONG)
  })
})
