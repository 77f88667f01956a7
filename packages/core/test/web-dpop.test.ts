import { calculateJwkThumbprint, decodeJwt, EmbeddedJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { dpopAth } from '../src/dpop/proof-sign.js'
import { createDpopKey, importDpopKey, MemorySessionStore, OAuthClient, type Session } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// Web login keeping DPoP-bound tokens, against oidc-provider: the login's code is bound to the
// session's key, the tokens in the session are bound to it, the session's refresh keeps them
// bound, and sessionFetch signs the API calls with it.
const idp = devIdps()

const jktOf = (token: string | undefined) =>
  (decodeJwt(token ?? '')['cnf'] as { jkt?: string } | undefined)?.jkt
const LOGIN = { scopes: ['openid', 'offline_access'], authorizationParams: { prompt: 'consent' } }

/** An API checking what a DPoP resource server checks; answers which key signed the proof. */
function dpopApi() {
  const seen: { authorization: string | null; jkt?: string }[] = []
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    const authorization = request.headers.get('authorization')
    const proof = request.headers.get('dpop')
    if (proof === null) {
      seen.push({ authorization })
      return new Response(null, { status: 401 })
    }
    const token = authorization?.replace(/^DPoP /, '') ?? ''
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk ?? {})
    seen.push({ authorization, jkt })
    const ok =
      authorization?.startsWith('DPoP ') &&
      payload['htu'] === request.url.split('?')[0] &&
      payload['ath'] === (await dpopAth(token)) &&
      jktOf(token) === jkt
    return new Response(null, { status: ok ? 204 : 401 })
  }
  return { seen, fetch: fetchImpl }
}

describe('createAuth({ dpop: "session" })', () => {
  it('binds each session to its own key, kept in the session store; refresh and sessionFetch use it', async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const auth = await authFor(provider, {
      ...LOGIN,
      dpop: 'session',
      resource: provider.resource,
      refreshBefore: 100_000, // every resolve is due for a refresh
      session: { secrets: SECRET, store },
    })
    const browser = new TestBrowser(auth)
    expect((await browser.login(provider)).status).toBe(302)

    const [stored] = await store.listUserSessions('alice')
    expect(stored?.tokens.tokenType).toBe('DPoP')
    expect(typeof stored?.tokens.dpopKey?.d).toBe('string')
    const key = await importDpopKey(stored?.tokens.dpopKey ?? {})
    expect(jktOf(stored?.tokens.accessToken)).toBe(key.thumbprint)

    // The resolve refreshes (refreshBefore): the new token is bound to the same key.
    const { session } = await auth.resolveSession(browser.request('/'))
    expect(session?.tokenType).toBe('DPoP')
    expect(session?.accessToken).not.toBe(stored?.tokens.accessToken)
    expect(jktOf(session?.accessToken)).toBe(key.thumbprint)
    // The key never appears on the Session application code gets.
    expect(JSON.stringify(session)).not.toContain(stored?.tokens.dpopKey?.d as string)

    const api = dpopApi()
    const call = auth.sessionFetch(session as Session, {
      allowedOrigins: [provider.resource],
      fetch: api.fetch,
    })
    expect((await call(`${provider.resource}/me?x=1`)).status).toBe(204)
    expect(api.seen).toEqual([{ authorization: `DPoP ${session?.accessToken}`, jkt: key.thumbprint }])
    await expect(call('https://elsewhere.example.test/')).rejects.toMatchObject({
      code: 'ERR_ORIGIN_NOT_ALLOWED',
    })
  })

  it('gives two sessions two keys (cookie mode: the key is sealed in the cookie)', async () => {
    const provider = await idp()
    const auth = await authFor(provider, { ...LOGIN, dpop: 'session', resource: provider.resource })
    const jkts: (string | undefined)[] = []
    for (const sub of ['alice', 'bob']) {
      const browser = new TestBrowser(auth)
      expect((await browser.login(provider, '', { sub })).status).toBe(302)
      const session = await auth.getSession(browser.request('/'))
      expect(session?.tokenType).toBe('DPoP')
      jkts.push(jktOf(session?.accessToken))
      // The key works from the cookie alone: a DPoP call is signed by the bound key.
      const api = dpopApi()
      const call = auth.sessionFetch(session as Session, {
        allowedOrigins: [provider.resource],
        fetch: api.fetch,
      })
      expect((await call(`${provider.resource}/me`)).status).toBe(204)
    }
    expect(jkts[0]).toMatch(/^[\w-]{43}$/)
    expect(jkts[1]).toMatch(/^[\w-]{43}$/)
    expect(jkts[0]).not.toBe(jkts[1])
  })
})

describe('createAuth({ dpop: "client" }) and the default', () => {
  it('binds sessions to the client key; nothing more is stored', async () => {
    const provider = await idp()
    const key = await createDpopKey()
    const store = new MemorySessionStore()
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.basic.clientId,
      clientSecret: provider.clients.basic.clientSecret,
      dpop: key,
    })
    const auth = await authFor(provider, {
      client,
      dpop: 'client',
      resource: provider.resource,
      session: { secrets: SECRET, store },
    })
    const browser = new TestBrowser(auth)
    expect((await browser.login(provider)).status).toBe(302)
    const [stored] = await store.listUserSessions('alice')
    expect(stored?.tokens).toMatchObject({ tokenType: 'DPoP' })
    expect(stored?.tokens.dpopKey).toBeUndefined()
    expect(jktOf(stored?.tokens.accessToken)).toBe(key.thumbprint)
  })

  it('refuses to start a login with dpop: "client" when the client has no key', async () => {
    const provider = await idp()
    const auth = await authFor(provider, { dpop: 'client' })
    const browser = new TestBrowser(auth)
    const response = await browser.fetch('/login', { headers: { accept: 'application/json' } })
    expect(response.status).toBe(500)
    expect(await response.json()).toMatchObject({ error: 'ERR_DPOP_KEY_REQUIRED' })
  })

  it('keeps Bearer sessions as they were, and sessionFetch sends them as Bearer', async () => {
    const provider = await idp()
    const auth = await authFor(provider, { resource: provider.resource })
    const browser = new TestBrowser(auth)
    await browser.login(provider)
    const session = (await auth.getSession(browser.request('/'))) as Session
    expect(session.tokenType).toBe('Bearer')
    expect(jktOf(session.accessToken)).toBeUndefined()
    const seen: Request[] = []
    const call = auth.sessionFetch(session, {
      allowedOrigins: [provider.resource],
      fetch: async (input, init) => {
        seen.push(new Request(input, init))
        return new Response(null, { status: 204 })
      },
    })
    await call(`${provider.resource}/me`)
    expect(seen[0]?.headers.get('authorization')).toBe(`Bearer ${session.accessToken}`)
    expect(seen[0]?.headers.get('dpop')).toBeNull()
    expect(() => auth.sessionFetch({ ...session }, { allowedOrigins: [provider.resource] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })

  it('checks the option', async () => {
    const provider = await idp()
    await expect(authFor(provider, { dpop: 'yes' as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})
