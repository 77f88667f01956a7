import { describe, expect, it, vi } from 'vitest'
import { type Auth, MemorySessionStore, OAuthClient, type SessionStore } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { APP_ORIGIN, authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// "Where you are signed in" and "sign out everywhere", against the real provider, with a store
// that indexes sessions by user.
const idp = devIdps()
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' }

/** A browser with its own User-Agent, signed in as `sub`. */
async function signedIn(auth: Auth, provider: Awaited<ReturnType<typeof idp>>, sub: string, agent: string) {
  const browser = new TestBrowser(auth)
  const login = await browser.fetch('/login', { headers: { 'user-agent': agent } })
  const callback = await provider.authorize(login.headers.get('location') as string, { sub })
  await browser.fetch(callback.pathname + callback.search, { headers: { 'user-agent': agent } })
  return browser
}

describe('session management', () => {
  it("lists the user's sessions (never another user's, never an id), and ends one by its handle", async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const auth = await authFor(provider, { session: { secrets: SECRET, store } })
    const laptop = await signedIn(auth, provider, 'alice', 'Mozilla/5.0 (X11; Linux) Firefox/140.0')
    const phone = await signedIn(auth, provider, 'alice', 'Mozilla/5.0 (iPhone)\u0007 Safari\n')
    const other = await signedIn(auth, provider, 'bob', 'curl/8')

    const listed = await auth.listSessions(laptop.request('/'))
    expect(listed).toHaveLength(2)
    const [mine, theirs] = [listed?.find((s) => s.current), listed?.find((s) => !s.current)]
    expect(mine?.userAgent).toBe('Mozilla/5.0 (X11; Linux) Firefox/140.0')
    expect(theirs?.userAgent).toBe('Mozilla/5.0 (iPhone) Safari') // control characters dropped
    expect(mine?.lastSeenAt).toEqual(expect.any(Number))
    const ids = (await store.listUserSessions('alice')).map((session) => session.id)
    for (const id of ids) expect(JSON.stringify(listed)).not.toContain(id)

    const bobs = (await auth.listSessions(other.request('/'))) ?? []
    expect(bobs).toHaveLength(1)
    // Alice cannot end Bob's session with its handle.
    expect(
      await auth.revokeSession(laptop.request('/', { headers: SAME_ORIGIN }), bobs[0]?.handle as string),
    ).toBe(false)
    expect(await auth.getSession(other.request('/'))).not.toBeNull()

    expect(
      await auth.revokeSession(laptop.request('/', { headers: SAME_ORIGIN }), theirs?.handle as string),
    ).toBe(true)
    expect(await auth.getSession(phone.request('/'))).toBeNull()
    expect(await auth.getSession(laptop.request('/'))).not.toBeNull()
    expect(await auth.listSessions(phone.request('/'))).toBeNull() // signed out
  })

  it('signs out everywhere, or everywhere else, only on a request from the application', async () => {
    const provider = await idp()
    const auth = await authFor(provider, { session: { secrets: SECRET, store: new MemorySessionStore() } })
    const browsers = [
      await signedIn(auth, provider, 'alice', 'a'),
      await signedIn(auth, provider, 'alice', 'b'),
      await signedIn(auth, provider, 'alice', 'c'),
    ]
    const [first, second, third] = browsers as [TestBrowser, TestBrowser, TestBrowser]
    await expect(
      first.auth.revokeAllSessions(first.request('/', { headers: { 'sec-fetch-site': 'cross-site' } })),
    ).rejects.toMatchObject({ code: 'ERR_CROSS_SITE_REQUEST', status: 403 })
    await expect(
      auth.revokeSession(first.request('/', { headers: { origin: 'https://evil.example' } }), 'x'),
    ).rejects.toMatchObject({ code: 'ERR_CROSS_SITE_REQUEST' })

    const others = await auth.revokeAllSessions(first.request('/', { headers: SAME_ORIGIN }), {
      keepCurrent: true,
    })
    expect(others).toEqual({ revoked: 2, cookies: [] })
    expect(await auth.getSession(second.request('/'))).toBeNull()
    expect(await auth.getSession(first.request('/'))).not.toBeNull()

    const again = await signedIn(auth, provider, 'alice', 'd')
    const all = await auth.revokeAllSessions(third.request('/', { headers: { origin: APP_ORIGIN } }))
    expect(all.revoked).toBe(0) // the third browser's session had ended already: nothing is its own
    const everywhere = await auth.revokeAllSessions(again.request('/', { headers: SAME_ORIGIN }))
    expect(everywhere.revoked).toBe(2) // the first browser's and this one
    expect(everywhere.cookies.some((line) => line.startsWith('auth.session=;'))).toBe(true)
    expect(await auth.getSession(first.request('/'))).toBeNull()
  })

  it('keeps a session revoked while a request that read it is still renewing it', async () => {
    const provider = await idp()
    let now = Date.now()
    const inner = new MemorySessionStore({ now: () => now })
    let revokeDuringRead = false
    let revokeDuringRefresh = false
    // The revocation lands between this request's read and its renewal write: the order two
    // instances produce when "sign out everywhere" runs while another request is in flight.
    const store: SessionStore = {
      async get(id) {
        const session = await inner.get(id)
        if (revokeDuringRead && session !== undefined) await inner.deleteUserSessions(session.user.sub)
        return session
      },
      set: (id, session) => inner.set(id, session),
      update: (id, session) => inner.update(id, session),
      delete: (id) => inner.delete(id),
    }
    // Every revocation request the client sends (RFC 7009), by the token it names.
    const revoked: string[] = []
    const recording: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      const form = new URLSearchParams(String(init?.body ?? ''))
      if (url.endsWith('/token/revocation')) revoked.push(form.get('token') ?? '')
      const response = await fetch(input, init)
      // "Sign out everywhere" lands while the provider answers this request's refresh.
      if (revokeDuringRefresh && form.get('grant_type') === 'refresh_token')
        await inner.deleteUserSessions('alice')
      return response
    }
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.basic.clientId,
      clientSecret: provider.clients.basic.clientSecret,
      fetch: recording,
    })
    const auth = await authFor(provider, {
      client,
      now: () => now,
      session: { secrets: SECRET, store },
      // A refresh token (oidc-provider grants offline_access only with an explicit consent prompt).
      scopes: ['openid', 'offline_access'],
      authorizationParams: { prompt: 'consent' },
    })
    const browser = await signedIn(auth, provider, 'alice', 'a')
    const first = (await inner.listUserSessions('alice'))[0]?.tokens.refreshToken
    now += 10 * 60_000 // past the renewal interval (and the access token's life)
    revokeDuringRead = true
    const resolved = await auth.resolveSession(browser.request('/'))
    revokeDuringRead = false
    expect(resolved.session).toBeNull()
    expect(resolved.cookies.some((line) => line.startsWith('auth.session=;'))).toBe(true)
    await expect(inner.listUserSessions('alice')).resolves.toEqual([])
    expect(await auth.getSession(browser.request('/'))).toBeNull()
    // The request had refreshed the tokens when its write was refused: the new grant is revoked.
    expect(revoked).toHaveLength(1)
    expect(revoked[0]).not.toBe(first)

    // Revoked while the provider answers the refresh: the new grant is revoked at the provider too.
    const again = await signedIn(auth, provider, 'alice', 'b')
    const before = (await inner.listUserSessions('alice'))[0]?.tokens.refreshToken
    now += 10 * 60_000
    revokeDuringRefresh = true
    const refreshed = await auth.resolveSession(again.request('/'))
    revokeDuringRefresh = false
    expect(refreshed.session).toBeNull()
    await expect(inner.listUserSessions('alice')).resolves.toEqual([])
    expect(revoked).toHaveLength(2)
    expect(revoked[1]).not.toBe(before) // the refreshed token, not the one the session had
  })

  it('needs a store that indexes sessions by user', async () => {
    const provider = await idp()
    const cookieOnly = await authFor(provider)
    const browser = await signedIn(cookieOnly, provider, 'alice', 'a')
    await expect(cookieOnly.listSessions(browser.request('/'))).rejects.toMatchObject({
      code: 'ERR_SESSION_STORE_REQUIRED',
    })
    const plain = { get: async () => undefined, set: async () => {}, delete: async () => {} }
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const unindexed = await authFor(provider, { session: { secrets: SECRET, store: plain } })
    // A store without update() is said at start-up: renewals could write a revoked session back.
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('has no update()'))
    warn.mockRestore()
    await expect(unindexed.listSessions(browser.request('/'))).rejects.toMatchObject({
      code: 'ERR_SESSION_STORE_REQUIRED',
    })
  })
})
