import { describe, expect, it } from 'vitest'
import {
  createAuth,
  MemoryOneTimeStore,
  MemorySessionStore,
  OAuthClient,
  resolveAuth,
  type SessionData,
} from '../src/index.js'
import { resolveConfig, siteResolver } from '../src/web/auth-config.js'
import { parseCookies, readChunked, writeChunked } from '../src/web/cookies.js'
import { createSealer } from '../src/web/seal.js'
import { SessionCookies } from '../src/web/session-cookie.js'
import { devIdps } from './helpers/dev-idps.js'
import { authFor, SECRET, TestBrowser } from './helpers/web-login.js'

const idp = devIdps()
/** A login with a refresh token (oidc-provider grants offline_access only with an explicit consent prompt). */
const OFFLINE = { scopes: ['openid', 'offline_access'], authorizationParams: { prompt: 'consent' } }

/** The dev IdP's basic client, discovered: another instance, or whoever else holds a token. */
function basicClient(provider: Awaited<ReturnType<typeof idp>>, fetch?: typeof globalThis.fetch) {
  return OAuthClient.discover(provider.issuer, {
    clientId: provider.clients.basic.clientId,
    clientSecret: provider.clients.basic.clientSecret,
    ...(fetch === undefined ? {} : { fetch }),
  })
}

describe('session cookie attributes', () => {
  it('uses __Host- and Secure on https, and nothing leaks into the cookie in clear', async () => {
    const provider = await idp()
    const auth = await authFor(provider)
    // The registered redirect is loopback http; seal a session through a login there, then read
    // the cookie attributes an https deployment gets from the login route.
    const secure = createAuth({
      client: await OAuthClient.discover(provider.issuer, { clientId: provider.clients.basic.clientId }),
      baseUrl: 'https://app.example.com',
      session: { secrets: SECRET },
    })
    const login = await secure.handler(new Request('http://10.0.0.5:8080/auth/login'))
    const [txn] = login.headers.getSetCookie()
    expect(txn).toMatch(
      /^__Host-auth\.session\.txn\.[\w-]+=[\w.-]+; Path=\/; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    )
    // baseUrl wins over the request's own URL (a proxy's internal address).
    const location = new URL(login.headers.get('location') as string)
    expect(location.searchParams.get('redirect_uri')).toBe('https://app.example.com/auth/callback')

    const browser = new TestBrowser(auth)
    await browser.login(provider)
    const line = browser.setCookies.find((cookie) => cookie.startsWith('auth.session=')) as string
    expect(line).toMatch(/; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/)
    const value = browser.cookies.get('auth.session') as string
    expect(value.split('.')).toHaveLength(5) // compact JWE
    const header = JSON.parse(atob((value.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/')))
    expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' })
    expect(atob(value.split('.')[3]?.replace(/-/g, '+').replace(/_/g, '/') ?? '')).not.toContain('alice')
  })
})

describe('chunked cookies', () => {
  const attributes = { secure: true, sameSite: 'Lax' as const }

  it('splits a large value, reads it back, and deletes stale chunks when it shrinks', () => {
    const big = 'x'.repeat(9000)
    const lines = writeChunked(new Map(), 's', big, attributes, 3800, 4) as string[]
    expect(lines.map((line) => line.split('=', 1)[0])).toEqual(['s.0', 's.1', 's.2'])
    const jar = parseCookies(lines.map((line) => line.split(';', 1)[0]).join('; '))
    expect(readChunked(jar, 's', 4)).toBe(big)
    const smaller = writeChunked(jar, 's', 'small', attributes, 3800, 4) as string[]
    expect(smaller[0]).toMatch(/^s=small;/)
    expect(smaller.slice(1).map((line) => line.split(';', 1)[0])).toEqual(['s.0=', 's.1=', 's.2='])
    expect(smaller.slice(1).every((line) => line.includes('Max-Age=0'))).toBe(true)
  })

  it('refuses more chunks than the cap', () => {
    expect(writeChunked(new Map(), 's', 'x'.repeat(20_000), attributes, 3800, 4)).toBeUndefined()
  })

  it('parses Cookie headers leniently but keeps only valid cookie values', () => {
    const jar = parseCookies('a=1; b="2"; bad name=3; c=with space; a=dup; =x; d=')
    expect([...jar]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['d', ''],
    ])
  })

  it('fits a normal login in one cookie', async () => {
    const provider = await idp()
    const browser = new TestBrowser(await authFor(provider, { session: { secrets: SECRET, maxChunks: 1 } }))
    expect((await browser.login(provider)).status).toBe(302)
    expect([...browser.cookies.keys()]).toEqual(['auth.session'])
  })

  it('refuses a session that needs more than maxChunks cookies with ERR_SESSION_TOO_LARGE', async () => {
    const config = resolveConfig({
      client: {} as never,
      baseUrl: 'https://app.example.com',
      session: { secrets: SECRET, maxChunks: 2 },
    })
    const cookies = new SessionCookies(config, createSealer(config.secrets, 'session'))
    const site = siteResolver(config)(new Request('https://app.example.com/'))
    const session = {
      id: 'id',
      user: { sub: 'alice', groups: Array.from({ length: 800 }, (_, i) => `group-${i}`) },
      tokens: {},
      createdAt: Math.floor(Date.now() / 1000),
      expiresAt: Math.floor(Date.now() / 1000) + 60,
    }
    await expect(cookies.write(site, new Map(), session)).rejects.toMatchObject({
      name: 'SessionError',
      code: 'ERR_SESSION_TOO_LARGE',
      status: 500,
    })
    const fitting = await cookies.write(site, new Map(), {
      ...session,
      user: { sub: 'alice', groups: session.user.groups.slice(0, 300) },
    })
    expect(fitting.cookies.map((line) => line.split('=', 1)[0])).toEqual([
      '__Host-auth.session.0',
      '__Host-auth.session.1',
    ])
  })
})

describe('server-side sessions', () => {
  it('keeps tokens off the cookie and ends the session when the store forgets it', async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const browser = new TestBrowser(await authFor(provider, { session: { secrets: SECRET, store } }))
    await browser.login(provider)
    expect((browser.cookies.get('auth.session') as string).length).toBeLessThan(300)
    expect(store.size).toBe(1)
    expect((await browser.fetch('/session')).status).toBe(200)
    // Forgetting the server-side session (revocation) ends it, whatever the cookie says.
    const other = new TestBrowser(browser.auth)
    await other.login(provider, '', { sub: 'bob' })
    expect(store.size).toBe(2)
    await browser.fetch('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } })
    expect(store.size).toBe(1)
    const bobCookie = other.cookieHeader()
    await other.fetch('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } })
    expect(store.size).toBe(0)
    // The cookie outlives the logout in an attacker's copy; without the stored session it is worthless.
    const replay = await browser.auth.handler(
      new Request('http://127.0.0.1:4567/session', { headers: { cookie: bobCookie } }),
    )
    expect(replay.status).toBe(401)
  })
})

describe('access-token refresh', () => {
  it('refreshes once per session however many requests ask, and keeps the rotated refresh token', async () => {
    const provider = await idp()
    let now = Date.now()
    const store = new MemorySessionStore({ now: () => now })
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
        session: { secrets: SECRET, store },
      }),
    )
    await browser.login(provider)
    const before = await browser.auth.getSession(browser.request('/'))
    expect(before?.accessTokenExpiresAt).toBeGreaterThan(now / 1000)
    // Into the refresh window (expiry minus refreshBefore), without touching the provider's clock.
    now = ((before?.accessTokenExpiresAt as number) - 30) * 1000
    const parallel = await Promise.all(
      Array.from({ length: 5 }, () => browser.auth.resolveSession(browser.request('/'))),
    )
    const tokens = new Set(parallel.map((result) => result.session?.accessToken))
    expect(tokens.size).toBe(1) // one refresh: a second one would have used a rotated-away refresh token
    expect(tokens.has(before?.accessToken)).toBe(false)
    expect(parallel.every((result) => result.session?.user.sub === 'alice')).toBe(true)
    // The stored session has the new tokens: the next refresh works too.
    const after = await browser.auth.getSession(browser.request('/'))
    now = ((after?.accessTokenExpiresAt as number) - 30) * 1000
    const again = await browser.auth.resolveSession(browser.request('/'))
    expect(again.session?.accessToken).not.toBe(after?.accessToken)
  })

  it('gives a request with the cookie from before a refresh the refreshed session, without replaying the used refresh token (security review #3)', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
      }),
    )
    await browser.login(provider)
    const captured = browser.cookieHeader()
    const session = await browser.auth.getSession(browser.request('/'))
    now = ((session?.accessTokenExpiresAt as number) - 30) * 1000
    const first = browser.store(
      new Response(null, { headers: cookiesOf(await browser.auth.resolveSession(browser.request('/'))) }),
    )
    expect(first).toBeDefined()
    const refreshed = await browser.auth.getSession(browser.request('/'))
    expect(refreshed?.accessToken).not.toBe(session?.accessToken)
    // A request that left the browser with the old cookie, arriving after the refresh finished.
    const late = await browser.auth.resolveSession(
      new Request('http://127.0.0.1:4567/', { headers: { cookie: captured } }),
    )
    expect(late.session?.accessToken).toBe(refreshed?.accessToken)
    expect(late.cookies.some((line) => line.startsWith('auth.session=') && !/Max-Age=0/.test(line))).toBe(
      true,
    )
    // The provider never saw the used refresh token again, so the grant lives: the next refresh works.
    now = ((refreshed?.accessTokenExpiresAt as number) - 30) * 1000
    const next = await browser.auth.resolveSession(browser.request('/'))
    expect(next.session?.accessToken).toEqual(expect.any(String))
    expect(next.session?.accessToken).not.toBe(refreshed?.accessToken)
  })

  it('keeps the session while its access token works when the provider refuses the refresh, and ends it after', async () => {
    const provider = await idp()
    let now = Date.now()
    const store = new RecordingStore()
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
        session: { secrets: SECRET, store },
      }),
    )
    await browser.login(provider)
    const stored = store.last as SessionData
    // Another instance (or a stolen copy) used the refresh token: ours is now dead at the provider.
    const other = await basicClient(provider)
    await other.refresh(stored.tokens.refreshToken as string)
    now = ((stored.tokens.expiresAt as number) - 30) * 1000
    const refused = await browser.auth.resolveSession(browser.request('/'))
    expect(refused.session?.accessToken).toBe(stored.tokens.accessToken)
    expect(refused.cookies.some((line) => /Max-Age=0/.test(line))).toBe(false)
    // Once the access token has expired (and the grace period passed), the session is over.
    now = ((stored.tokens.expiresAt as number) + 61) * 1000
    const ended = await browser.auth.resolveSession(browser.request('/'))
    expect(ended.session).toBeNull()
    expect(ended.cookies).toEqual([expect.stringMatching(/^auth\.session=; .*Max-Age=0/)])
    expect(await store.get(stored.id)).toBeUndefined()
  })

  it("ends the session when the refreshed ID token is another login's (OIDC Core §12.2, security review #11)", async () => {
    const provider = await idp()
    let now = Date.now()
    const { idToken: bobsIdToken } = await provider.getIdToken({ sub: 'bob' })
    let swapped = 0
    // A token endpoint that answers a refresh with another user's (validly signed) ID token.
    const swapping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(init?.body ?? '').includes('grant_type=refresh_token')) return response
      const body = (await response.json()) as Record<string, unknown>
      swapped++
      return Response.json({ ...body, id_token: bobsIdToken }, { status: response.status })
    }
    const client = await basicClient(provider, swapping)
    const browser = new TestBrowser(
      createAuth({
        client,
        basePath: '/',
        now: () => now,
        ...OFFLINE,
        session: { secrets: SECRET },
      }),
    )
    await browser.login(provider)
    const session = await browser.auth.getSession(browser.request('/'))
    expect(session?.user.sub).toBe('alice')
    now = ((session?.accessTokenExpiresAt as number) - 30) * 1000
    const resolved = await browser.auth.resolveSession(browser.request('/'))
    expect(swapped).toBe(1)
    expect(resolved.session).toBeNull()
    expect(resolved.cookies).toEqual([expect.stringMatching(/^auth\.session=; .*Max-Age=0/)])
  })
})

describe('the refresh grace cannot outlive what it was derived from (fresh-eyes review)', () => {
  it('does not serve a remembered refusal once the access token has expired', async () => {
    const provider = await idp()
    let now = Date.now()
    const store = new RecordingStore()
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
        session: { secrets: SECRET, store },
      }),
    )
    await browser.login(provider)
    const stored = store.last as SessionData
    const other = await basicClient(provider)
    await other.refresh(stored.tokens.refreshToken as string)
    const exp = stored.tokens.expiresAt as number
    now = (exp - 1) * 1000 // refused one second before expiry: the session goes on for now
    expect((await browser.auth.resolveSession(browser.request('/'))).session).not.toBeNull()
    now = (exp + 45) * 1000 // 45 s after expiry, within the 60 s grace: asked again, and over
    expect((await browser.auth.resolveSession(browser.request('/'))).session).toBeNull()
  })

  it('gives a pre-refresh cookie presented after logout none of the refreshed tokens', async () => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
      }),
    )
    await browser.login(provider)
    const stolen = browser.cookieHeader()
    const session = await browser.auth.getSession(browser.request('/'))
    now = ((session?.accessTokenExpiresAt as number) - 30) * 1000
    browser.store(
      new Response(null, { headers: cookiesOf(await browser.auth.resolveSession(browser.request('/'))) }),
    )
    const refreshed = await browser.auth.getSession(browser.request('/'))
    expect(refreshed?.accessToken).not.toBe(session?.accessToken)
    const out = await browser.fetch('/logout', {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    expect(out.status).toBe(303)
    now += 20_000
    const replay = await browser.auth.resolveSession(
      new Request('http://127.0.0.1:4567/', { headers: { cookie: stolen } }),
    )
    // At most its own access token, about to expire, never the one refreshed before the logout.
    expect(replay.session?.accessToken).not.toBe(refreshed?.accessToken)
  })
})

describe('several instances in cookie mode', () => {
  async function instances(provider: Awaited<ReturnType<typeof idp>>, shared: boolean, clock: () => number) {
    let refreshCalls = 0
    const counting: typeof fetch = (input, init) => {
      if (String(init?.body ?? '').includes('grant_type=refresh_token')) refreshCalls++
      return fetch(input, init)
    }
    const oneTimeStore = new MemoryOneTimeStore({ now: clock })
    const make = async () =>
      createAuth({
        client: await basicClient(provider, counting),
        basePath: '/',
        now: clock,
        ...OFFLINE,
        session: { secrets: SECRET },
        ...(shared ? { oneTimeStore } : {}),
      })
    return { a: await make(), b: await make(), refreshCalls: () => refreshCalls }
  }

  it('one instance refreshes; the other serves the session unchanged and the grant lives (shared OneTimeStore)', async () => {
    const provider = await idp()
    let now = Date.now()
    const { a, b, refreshCalls } = await instances(provider, true, () => now)
    const browser = new TestBrowser(a)
    await browser.login(provider)
    const before = await a.getSession(browser.request('/'))
    now = ((before?.accessTokenExpiresAt as number) - 30) * 1000
    // The same cookie reaches both instances at once (two tabs, a load balancer).
    const [onA, onB] = await Promise.all([
      a.resolveSession(browser.request('/')),
      b.resolveSession(browser.request('/')),
    ])
    expect(refreshCalls()).toBe(1)
    expect(onA.session).not.toBeNull()
    expect(onB.session).not.toBeNull()
    const refreshed = [onA, onB].find((result) => result.session?.accessToken !== before?.accessToken)
    const unchanged = [onA, onB].find((result) => result.session?.accessToken === before?.accessToken)
    expect(refreshed).toBeDefined()
    expect(unchanged?.cookies.some((line) => /Max-Age=0/.test(line))).toBe(false)
    // The browser keeps the rotated cookie; the grant was never replayed, so the next refresh works.
    browser.store(new Response(null, { headers: cookiesOf(refreshed as { cookies: string[] }) }))
    const after = await b.getSession(browser.request('/'))
    now = ((after?.accessTokenExpiresAt as number) - 30) * 1000
    const next = await b.resolveSession(browser.request('/'))
    expect(next.session?.accessToken).toEqual(expect.any(String))
    expect(next.session?.accessToken).not.toBe(after?.accessToken)
    expect(refreshCalls()).toBe(2)
  })

  it('without a shared store each instance refreshes, which is why several instances need one', async () => {
    const provider = await idp()
    let now = Date.now()
    const { a, b, refreshCalls } = await instances(provider, false, () => now)
    const browser = new TestBrowser(a)
    await browser.login(provider)
    const before = await a.getSession(browser.request('/'))
    now = ((before?.accessTokenExpiresAt as number) - 30) * 1000
    await Promise.all([a.resolveSession(browser.request('/')), b.resolveSession(browser.request('/'))])
    expect(refreshCalls()).toBe(2)
  })
})

/** A memory store that remembers the last session written, tokens included. */
class RecordingStore extends MemorySessionStore {
  last: SessionData | undefined
  override async set(id: string, session: SessionData): Promise<void> {
    this.last = session
    await super.set(id, session)
  }
}

function cookiesOf(resolved: { cookies: string[] }): Headers {
  const headers = new Headers()
  for (const line of resolved.cookies) headers.append('set-cookie', line)
  return headers
}

describe('options are checked at creation', () => {
  it.each([
    [{ session: { secrets: 'short' } }, /at least 32 characters/],
    [{ session: { secrets: [] } }, /non-empty list/],
    [{ session: { secrets: SECRET, cookieName: '__Host-x' } }, /cookieName/],
    [{ session: { secrets: SECRET }, scopes: ['profile'] }, /openid/],
    [{ session: { secrets: SECRET }, basePath: 'auth' }, /basePath/],
    [{ session: { secrets: SECRET }, baseUrl: 'ftp://x' }, /baseUrl/],
    [{ session: { secrets: SECRET, maxAge: 10, absoluteDuration: 5 } }, /absoluteDuration/],
    [{ session: { secrets: SECRET } }, /"client", or "issuer"/],
  ])('refuses %j', (options, message) => {
    expect(() => createAuth(options as Parameters<typeof createAuth>[0])).toThrow(message)
  })
})

describe('logout and the refresh token', () => {
  async function loginWithStore(revokeOnLogout?: boolean) {
    const provider = await idp()
    const store = new RecordingStore()
    const browser = new TestBrowser(
      await authFor(provider, {
        ...OFFLINE,
        session: { secrets: SECRET, store },
        ...(revokeOnLogout === undefined ? {} : { revokeOnLogout }),
      }),
    )
    await browser.login(provider)
    const refreshToken = store.last?.tokens.refreshToken as string
    expect(refreshToken).toEqual(expect.any(String))
    const client = await basicClient(provider)
    await browser.fetch('/logout', { method: 'POST', headers: { 'sec-fetch-site': 'same-origin' } })
    return { client, refreshToken }
  }

  it('revokes the refresh token at logout: a stolen copy is refused afterwards', async () => {
    const { client, refreshToken } = await loginWithStore()
    await expect(client.refresh(refreshToken)).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
    })
  })

  it('leaves the refresh token alone with revokeOnLogout: false', async () => {
    const { client, refreshToken } = await loginWithStore(false)
    await expect(client.refresh(refreshToken)).resolves.toMatchObject({ accessToken: expect.any(String) })
  })
})

describe('sessions where no cookie can be written (resolveSessionWithoutCookies)', () => {
  it.each([
    ['cookie mode: does not refresh (a rotated refresh token would be lost)', false],
    ['store mode: refreshes, and the store keeps the new tokens', true],
  ])('%s', async (_name, withStore) => {
    const provider = await idp()
    let now = Date.now()
    const browser = new TestBrowser(
      await authFor(provider, {
        now: () => now,
        ...OFFLINE,
        session: {
          secrets: SECRET,
          ...(withStore ? { store: new MemorySessionStore({ now: () => now }) } : {}),
        },
      }),
    )
    await browser.login(provider)
    const before = await browser.auth.getSession(browser.request('/'))
    now = ((before?.accessTokenExpiresAt as number) - 30) * 1000
    const during = await browser.auth.resolveSessionWithoutCookies(browser.request('/'))
    expect(during?.user.sub).toBe('alice')
    const after = await browser.auth.getSession(browser.request('/'))
    if (withStore) {
      expect(during?.accessToken).not.toBe(before?.accessToken)
      expect(after?.accessToken).toBe(during?.accessToken) // the same cookie now reads the new tokens
    } else {
      expect(during?.accessToken).toBe(before?.accessToken)
      expect(after?.accessToken).toBe(before?.accessToken)
    }
  })
})

describe('resolveAuth', () => {
  it('passes an Auth through and creates one from options, checking them', async () => {
    const provider = await idp()
    const auth = await authFor(provider)
    expect(resolveAuth(auth)).toBe(auth)
    const created = resolveAuth({ issuer: provider.issuer, clientId: 'x', session: { secrets: SECRET } })
    expect(created.paths.login).toBe('/auth/login')
    expect(() =>
      resolveAuth({ issuer: provider.issuer, clientId: 'x', session: { secrets: 'short' } }),
    ).toThrow(/at least 32 characters/)
  })
})
