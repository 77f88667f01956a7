import type { DevIdp } from '@org/dev-idp'
import { describe, expect, it } from 'vitest'
import { AuthError, type LoginEvent, MemorySessionStore, OAuthClient, type OnLogin } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { authFor, TestBrowser } from './helpers/web-login.js'

// The login hook against oidc-provider: what it sees, and what it can change or refuse.
const idp = devIdps()
/** A login with a refresh token (oidc-provider grants offline_access only with an explicit consent prompt). */
const OFFLINE = { scopes: ['openid', 'offline_access'], authorizationParams: { prompt: 'consent' } }

/** The dev IdP's basic client whose requests to the revocation endpoint are recorded. */
async function spiedClient(provider: DevIdp): Promise<{ client: OAuthClient; revoked: URLSearchParams[] }> {
  const revoked: URLSearchParams[] = []
  const client = await OAuthClient.discover(provider.issuer, {
    clientId: provider.clients.basic.clientId,
    clientSecret: provider.clients.basic.clientSecret,
    fetch: async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url === provider.endpoints.revocation) revoked.push(new URLSearchParams(String(init?.body)))
      return fetch(input, init)
    },
  })
  return { client, revoked }
}

describe('onLogin', () => {
  it('sees the verified login, and keeps the user it maps and the data it adds', async () => {
    const provider = await idp()
    const events: LoginEvent[] = []
    const onLogin: OnLogin = async (event) => {
      events.push(event)
      return {
        user: { sub: event.user.sub, name: 'Bob B.', tenant: 'acme' },
        data: { roles: ['editor'], loginAcr: event.idTokenClaims.acr ?? null },
      }
    }
    const browser = new TestBrowser(await authFor(provider, { onLogin }))
    const done = await browser.login(provider, '?returnTo=/notes', { sub: 'bob' })
    expect(done.headers.get('location')).toBe('/notes')
    expect(events).toHaveLength(1)
    const [event] = events as [LoginEvent]
    expect(event.user).toMatchObject({ sub: 'bob', iss: provider.issuer })
    expect(event.user).not.toHaveProperty('nonce')
    expect(event.idTokenClaims).toMatchObject({ sub: 'bob', aud: provider.clients.basic.clientId })
    expect(event.accessToken).toEqual(expect.any(String))
    expect(event.scope.split(' ')).toContain('openid')
    expect(event.returnTo).toBe('/notes')
    expect(new URL(event.request.url).pathname).toBe('/callback')

    const session = await browser.auth.getSession(browser.request('/'))
    expect(session?.user).toEqual({ sub: 'bob', name: 'Bob B.', tenant: 'acme' })
    expect(session?.data).toEqual({ roles: ['editor'], loginAcr: null })
    // The session route shows the user, not the application's data.
    const body = (await (await browser.fetch('/session')).json()) as Record<string, unknown>
    expect(body).toEqual({
      user: { sub: 'bob', name: 'Bob B.', tenant: 'acme' },
      expiresAt: expect.any(Number),
    })
  })

  it('keeps the data in a session store, across a refresh of the tokens', async () => {
    const provider = await idp()
    let now = Date.now()
    const auth = await authFor(provider, {
      ...OFFLINE,
      session: { secrets: 'a-test-secret-that-is-long-enough-0123456789', store: new MemorySessionStore() },
      onLogin: () => ({ data: { plan: 'pro' } }),
      now: () => now,
    })
    const browser = new TestBrowser(auth)
    await browser.login(provider)
    const before = await auth.resolveSession(browser.request('/'))
    now += 3_600_000 // past the access token's expiry: the next read refreshes
    const after = await auth.resolveSession(browser.request('/'))
    expect(after.session?.accessToken).not.toBe(before.session?.accessToken)
    expect(after.session?.data).toEqual({ plan: 'pro' })
  })

  it('refuses a user with false: 403 ERR_LOGIN_REFUSED, no session, the refresh token revoked', async () => {
    const provider = await idp()
    const { client, revoked } = await spiedClient(provider)
    const auth = await authFor(provider, {
      ...OFFLINE,
      onLogin: ({ user }) => user.sub !== 'mallory',
    })
    const browser = new TestBrowser(
      await authFor(provider, { ...OFFLINE, client, onLogin: ({ user }) => user.sub !== 'mallory' }),
    )
    const refused = await browser.login(provider, '', { sub: 'mallory' })
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('ERR_LOGIN_REFUSED')
    expect([...browser.cookies.keys()]).toEqual([]) // the transaction cookie is gone, no session
    expect(revoked).toHaveLength(1)
    expect(revoked[0]?.get('token_type_hint')).toBe('refresh_token')
    const token = revoked[0]?.get('token') as string
    expect((await client.introspect(token)).active).toBe(false)

    // Another user passes the same hook.
    const other = new TestBrowser(auth)
    expect((await other.login(provider, '', { sub: 'alice' })).status).toBe(302)
    expect((await auth.getSession(other.request('/')))?.user.sub).toBe('alice')
  })

  it('refuses with the AuthError the hook throws, and answers JSON when asked', async () => {
    const provider = await idp()
    const hook: OnLogin = () => {
      throw new AuthError('ERR_ACCOUNT_SUSPENDED', 'This account is suspended', 403)
    }
    const browser = new TestBrowser(await authFor(provider, { onLogin: hook }))
    const callback = await browser.startLogin(provider)
    const answer = await browser.fetch(callback.pathname + callback.search, {
      headers: { accept: 'application/json' },
    })
    expect(answer.status).toBe(403)
    expect(await answer.json()).toEqual({
      error: 'ERR_ACCOUNT_SUSPENDED',
      error_description: 'This account is suspended',
    })
    expect(browser.cookies.size).toBe(0)
  })

  it('keeps the sub, and the next location a same-origin path', async () => {
    const provider = await idp()
    const cases: [OnLogin, number, string | null][] = [
      [() => ({ returnTo: '/welcome' }), 302, '/welcome'],
      [() => ({ returnTo: '/.//evil.example' }), 302, '/'],
      [() => ({ returnTo: 'https://evil.example/' }), 302, '/'],
      [() => ({ user: { sub: 'someone-else' } }), 500, null],
      [() => ({ data: { n: 1n } as never }), 500, null],
      [() => ({ data: ['not', 'an', 'object'] as never }), 500, null],
      [() => 'yes' as never, 500, null],
    ]
    for (const [onLogin, status, location] of cases) {
      const browser = new TestBrowser(await authFor(provider, { onLogin }))
      const answer = await browser.login(provider, '', { sub: 'bob' })
      expect(answer.status).toBe(status)
      expect(answer.headers.get('location')).toBe(location)
      expect(browser.cookies.has('auth.session')).toBe(status === 302)
    }
  })

  it('cannot change sub by editing the event in place, and copies what it keeps', async () => {
    const provider = await idp()
    const kept = { sub: 'bob', team: 'blue' }
    const edits: [OnLogin, number, string | undefined][] = [
      [
        (event) => {
          event.user.sub = 'admin' // edits a copy: the session keeps the login's sub
          return undefined
        },
        302,
        'bob',
      ],
      [
        (event) => {
          event.user.sub = 'admin'
          return { user: event.user } // refused: a sub that is not the login's
        },
        500,
        undefined,
      ],
      [() => ({ user: kept }), 302, 'bob'],
    ]
    for (const [onLogin, status, sub] of edits) {
      const browser = new TestBrowser(await authFor(provider, { onLogin }))
      expect((await browser.login(provider, '', { sub: 'bob' })).status).toBe(status)
      expect((await browser.auth.getSession(browser.request('/')))?.user.sub).toBe(sub)
    }
    kept.team = 'red' // after the login: the session holds its own copy
    const browser = new TestBrowser(
      await authFor(provider, { onLogin: () => ({ user: kept, data: { n: 1 } }) }),
    )
    await browser.login(provider, '', { sub: 'bob' })
    kept.team = 'green'
    expect((await browser.auth.getSession(browser.request('/')))?.user).toEqual({ sub: 'bob', team: 'red' })
  })

  it('ignores members inherited from a polluted Object.prototype', async () => {
    const provider = await idp()
    const prototype = Object.prototype as Record<string, unknown>
    prototype['user'] = { sub: 'bob', role: 'admin' }
    try {
      const browser = new TestBrowser(await authFor(provider, { onLogin: () => ({ returnTo: '/y' }) }))
      expect((await browser.login(provider, '', { sub: 'bob' })).headers.get('location')).toBe('/y')
      expect((await browser.auth.getSession(browser.request('/')))?.user).not.toHaveProperty('role')
    } finally {
      delete prototype['user']
    }
  })

  it('a refused login ends the session the browser had, and data over 4096 characters is refused', async () => {
    const provider = await idp()
    const { client, revoked } = await spiedClient(provider)
    const browser = new TestBrowser(
      await authFor(provider, { client, onLogin: ({ user }) => user.sub !== 'mallory' }),
    )
    await browser.login(provider, '', { sub: 'alice' })
    expect((await browser.auth.getSession(browser.request('/')))?.user.sub).toBe('alice')
    expect((await browser.login(provider, '', { sub: 'mallory' })).status).toBe(403)
    expect(browser.cookies.has('auth.session')).toBe(false)
    expect(revoked).toHaveLength(1) // the refused login's access token (no refresh token here)
    expect(revoked[0]?.get('token_type_hint')).toBe('access_token')

    const big = new TestBrowser(
      await authFor(provider, { onLogin: () => ({ data: { blob: 'x'.repeat(5000) } }) }),
    )
    expect((await big.login(provider)).status).toBe(500)
    expect(big.cookies.has('auth.session')).toBe(false)
  })

  it('refuses an onLogin that is not a function at start-up', async () => {
    const provider = await idp()
    await expect(authFor(provider, { onLogin: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})
