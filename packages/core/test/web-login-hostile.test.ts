import { describe, expect, it } from 'vitest'
import {
  createAuth,
  MemoryOneTimeStore,
  MemorySessionStore,
  OAuthClient,
  safeReturnTo,
} from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { APP_ORIGIN, authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// The attacks web-login libraries keep being hit by, each against the real provider.
const idp = devIdps()

describe('returnTo: only same-origin relative paths', () => {
  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    'javascript:alert(1)',
    '/ok%0d%0aSet-Cookie:%20x=1',
    '/ok\r\nSet-Cookie: x=1',
    'http:evil.example',
    '\\\\evil.example',
    ' /leading-space',
    // Dot segments resolve away and leave `//evil.example` in the Location (security review #1).
    '/.//evil.example',
    '/%2e//evil.example',
    '/%2E//evil.example',
    '/a/../..//evil.example',
    '/%2e%2e//evil.example',
    '/a/%2e%2e/%2e%2e//evil.example',
    '/./%5Cevil.example',
    '/.%2F/evil.example',
  ])('refuses %j and falls back to afterLogin', async (returnTo) => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider, { afterLogin: '/home' }))
    const done = await browser.login(provider, `?returnTo=${encodeURIComponent(returnTo)}`)
    expect(done.status).toBe(302)
    expect(done.headers.get('location')).toBe('/home')
  })
})

describe('safeReturnTo: the value returned is what a Location may carry', () => {
  const origin = 'https://app.example'
  it.each([
    '/.//evil.example',
    '/%2e//evil.example',
    '/a/../..//evil.example',
    '/%2e%2e//evil.example',
    '/./\\evil.example',
  ])('refuses %j', (value) => {
    expect(safeReturnTo(value, origin)).toBeUndefined()
  })

  it.each([
    ['/notes?page=2#top', '/notes?page=2#top'],
    ['/a/./b/../c', '/a/c'],
    ['/a/%2e%2e/b', '/b'],
    ['/caf%C3%A9', '/caf%C3%A9'],
  ])('keeps %j as %j, a path that resolves to itself on the origin', (value, expected) => {
    const result = safeReturnTo(value, origin) as string
    expect(result).toBe(expected)
    expect(new URL(result, origin).origin).toBe(origin)
    expect(safeReturnTo(result, origin)).toBe(result)
  })
})

describe('callbacks that must not log anyone in', () => {
  it('refuses a replayed callback, even with the transaction cookie captured before', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const callback = await browser.startLogin(provider)
    const captured = browser.cookieHeader()
    expect((await browser.fetch(callback.pathname + callback.search)).status).toBe(302)
    const replay = await browser.auth.handler(
      new Request(callback.href.replace(callback.origin, APP_ORIGIN), { headers: { cookie: captured } }),
    )
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('ERR_TRANSACTION_MISSING')
    expect(replay.headers.getSetCookie().some((line) => line.startsWith('auth.session='))).toBe(false)
  })

  it('refuses a callback replayed on another instance sharing the one-time store, before any code exchange', async () => {
    const provider = await idp()
    const shared = new MemoryOneTimeStore()
    const tokenRequests: string[] = []
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.basic.clientId,
      clientSecret: provider.clients.basic.clientSecret,
      fetch: (input, init) => {
        const url = input instanceof Request ? input.url : String(input)
        if (url === provider.endpoints.token) tokenRequests.push(url)
        return fetch(input, init)
      },
    })
    const instanceA = new TestBrowser(await authFor(provider, { client, oneTimeStore: shared }))
    const instanceB = await authFor(provider, { client, oneTimeStore: shared })
    const callback = await instanceA.startLogin(provider)
    const captured = instanceA.cookieHeader()
    expect((await instanceA.fetch(callback.pathname + callback.search)).status).toBe(302)
    expect(tokenRequests).toHaveLength(1)
    const replay = await instanceB.handler(
      new Request(callback.href.replace(callback.origin, APP_ORIGIN), { headers: { cookie: captured } }),
    )
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('ERR_TRANSACTION_MISSING')
    expect(tokenRequests).toHaveLength(1) // refused before the code reached the provider again
  })

  it('refuses a callback without its transaction cookie (login CSRF)', async () => {
    const provider = await idp()
    const victim = new TestBrowser(await authFor(provider))
    // The attacker completes a login of their own and sends the victim the callback URL.
    const attacker = new TestBrowser(victim.auth)
    const callback = await attacker.startLogin(provider, '', { sub: 'mallory' })
    const response = await victim.fetch(callback.pathname + callback.search)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('ERR_TRANSACTION_MISSING')
    expect((await victim.fetch('/session')).status).toBe(401)
  })

  it('refuses a transaction started for another client, even sealed with the same secret', async () => {
    const provider = await idp()
    const basic = await authFor(provider)
    const postClient = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.post.clientId,
      clientSecret: provider.clients.post.clientSecret,
    })
    const other = createAuth({ client: postClient, basePath: '/', session: { secrets: SECRET } })
    const browser = new TestBrowser(basic)
    const callback = await browser.startLogin(provider)
    const response = await other.handler(browser.request(callback.pathname + callback.search))
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('ERR_TRANSACTION_MISMATCH')
  })

  it('never reflects the provider error_description (HTML injected into the callback URL)', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const callback = await browser.startLogin(provider)
    const state = callback.searchParams.get('state') as string
    const hostile = new URLSearchParams({
      error: 'access_denied',
      error_description: '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>',
      state,
      iss: provider.issuer,
    })
    const page = await browser.fetch(`/callback?${hostile}`)
    const html = await page.text()
    expect(page.status).toBe(400)
    expect(html).not.toContain('<script')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('alert')
    expect(html).toContain('ERR_AUTHORIZATION_DENIED')
  })

  it('refuses a callback whose state does not match its transaction', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const callback = await browser.startLogin(provider)
    const state = callback.searchParams.get('state') as string
    // Same 16-character cookie id, different state: the full value is compared.
    const forged = new URL(callback)
    forged.searchParams.set('state', `${state.slice(0, 16)}${'A'.repeat(state.length - 16)}`)
    const response = await browser.fetch(forged.pathname + forged.search)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('ERR_STATE_MISMATCH')
  })
})

describe('session cookies that must not be accepted', () => {
  it('ignores a tampered session cookie and deletes it', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    await browser.login(provider)
    const value = browser.cookies.get('auth.session') as string
    const index = Math.floor(value.length / 2)
    const flipped = value.slice(0, index) + (value[index] === 'A' ? 'B' : 'A') + value.slice(index + 1)
    browser.cookies.set('auth.session', flipped)
    const response = await browser.fetch('/session')
    expect(response.status).toBe(401)
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^auth\.session=; .*Max-Age=0/)])
  })

  it('rotates secrets: old sessions survive a new first secret, are resealed, then die when it is retired', async () => {
    const provider = await idp()
    const oldSecret = 'the-old-secret-that-is-long-enough-987654321'
    const newSecret = 'the-new-secret-that-is-long-enough-123456789'
    const browser = new TestBrowser(await authFor(provider, { session: { secrets: oldSecret } }))
    await browser.login(provider)
    const sealedWithOld = browser.cookies.get('auth.session') as string

    const rotated = new TestBrowser(await authFor(provider, { session: { secrets: [newSecret, oldSecret] } }))
    rotated.cookies.set('auth.session', sealedWithOld)
    const response = await rotated.fetch('/session')
    expect(response.status).toBe(200)
    // Resealed with the new secret at once, not only when the rolling interval has passed.
    const resealed = rotated.cookies.get('auth.session') as string
    expect(resealed).not.toBe(sealedWithOld)

    const retired = new TestBrowser(await authFor(provider, { session: { secrets: newSecret } }))
    retired.cookies.set('auth.session', sealedWithOld)
    expect((await retired.fetch('/session')).status).toBe(401)
    retired.cookies.set('auth.session', resealed)
    expect((await retired.fetch('/session')).status).toBe(200)
  })

  it('does not accept a transaction cookie as a session cookie (keys differ by purpose)', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    await browser.fetch('/login')
    const [txn] = [...browser.cookies.values()]
    browser.cookies.set('auth.session', txn as string)
    expect((await browser.fetch('/session')).status).toBe(401)
  })

  it('ends an idle session after maxAge and any session after absoluteDuration', async () => {
    const provider = await idp()
    let now = Date.now()
    const auth = await authFor(provider, {
      now: () => now,
      session: { secrets: SECRET, maxAge: 3600, absoluteDuration: 3 * 3600 },
    })
    const browser = new TestBrowser(auth)
    await browser.login(provider)
    // Activity every 50 minutes keeps a rolling session alive...
    for (let i = 0; i < 3; i++) {
      now += 50 * 60_000
      expect((await browser.fetch('/session')).status).toBe(200)
    }
    // ...but never past the absolute limit (3 h after login; 2 h 30 min have passed).
    now += 40 * 60_000
    expect((await browser.fetch('/session')).status).toBe(401)

    const idle = new TestBrowser(auth)
    await idle.login(provider)
    now += 61 * 60_000
    expect((await idle.fetch('/session')).status).toBe(401)
  })

  it('ends a non-rolling session maxAge after login whatever the activity', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(
      await authFor(provider, { now: () => now, session: { secrets: SECRET, maxAge: 3600, rolling: false } }),
    )
    await browser.login(provider)
    now += 30 * 60_000
    expect((await browser.fetch('/session')).status).toBe(200)
    now += 31 * 60_000
    expect((await browser.fetch('/session')).status).toBe(401)
  })

  it('renews the session id on login and deletes the previous server-side session (fixation)', async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const browser = new TestBrowser(await authFor(provider, { session: { secrets: SECRET, store } }))
    await browser.login(provider)
    const first = (await browser.auth.resolveSession(browser.request('/'))).session
    expect(store.size).toBe(1)
    await browser.login(provider, '', { sub: 'bob' })
    expect(store.size).toBe(1)
    const second = await browser.auth.resolveSession(browser.request('/'))
    expect(second.session?.user.sub).toBe('bob')
    expect(second.session).not.toEqual(first)
  })
})

describe('cross-site requests to state-changing routes', () => {
  it.each([
    [
      'a cross-site POST',
      { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } },
    ],
    ['a same-site (sibling subdomain) POST', { method: 'POST', headers: { 'sec-fetch-site': 'same-site' } }],
    ['a POST with a foreign Origin', { method: 'POST', headers: { origin: 'https://evil.example' } }],
    ['a POST with no Origin at all', { method: 'POST', headers: {} }],
    [
      'a cross-site GET (link on another site)',
      { method: 'GET', headers: { 'sec-fetch-site': 'cross-site' } },
    ],
  ])('refuses %s to logout, and the session survives', async (_name, init) => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    await browser.login(provider)
    const response = await browser.fetch('/logout', init)
    expect(response.status).toBe(403)
    expect(await response.text()).toContain('ERR_CROSS_SITE_REQUEST')
    expect(response.headers.getSetCookie()).toEqual([])
    expect((await browser.fetch('/session')).status).toBe(200)
  })
})

describe('forged cookies cannot inflate the work or the answer', () => {
  it('a login with thousands of forged transaction cookies answers a bounded set of Set-Cookie lines', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const forged = Array.from({ length: 3000 }, (_, i) => `auth.session.txn.f${i}=forged${i}`).join('; ')
    const response = await browser.auth.handler(
      new Request(`${APP_ORIGIN}/login`, { headers: { cookie: forged } }),
    )
    expect(response.status).toBe(302)
    const lines = response.headers.getSetCookie()
    // At most 16 deletions plus the new transaction cookie (3000 before the fix: ~240 KB of headers).
    expect(lines.length).toBeLessThanOrEqual(17)
    expect(lines.filter((line) => /Max-Age=0/.test(line)).length).toBe(16)
    expect(lines.join('\n').length).toBeLessThan(8192)
  })

  it('clearing a forged session deletes at most 16 chunk cookies, and only canonical chunk names', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider))
    const forged = [
      ...Array.from({ length: 2000 }, (_, i) => `auth.session.${i}=x`),
      'auth.session.007=x',
      'auth.session=x',
    ].join('; ')
    const { session, cookies } = await browser.auth.resolveSession(
      new Request(`${APP_ORIGIN}/`, { headers: { cookie: forged } }),
    )
    expect(session).toBeNull()
    const names = cookies.map((line) => line.split('=', 1)[0])
    expect(names.sort()).toEqual(
      ['auth.session', ...Array.from({ length: 16 }, (_, i) => `auth.session.${i}`)].sort(),
    )
  })

  it('refuses maxChunks and maxConcurrent beyond 16 at creation', async () => {
    const provider = await idp()
    await expect(authFor(provider, { session: { secrets: SECRET, maxChunks: 17 } })).rejects.toThrow(
      /session\.maxChunks/,
    )
    await expect(authFor(provider, { transaction: { maxConcurrent: 17 } })).rejects.toThrow(
      /transaction\.maxConcurrent/,
    )
  })
})
