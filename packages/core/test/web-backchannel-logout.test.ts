import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { type JWTPayload, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Auth,
  type AuthOptions,
  BACKCHANNEL_LOGOUT_EVENT,
  createAuth,
  MemoryOneTimeStore,
  MemorySessionStore,
  OAuthClient,
  type SessionData,
  type SessionStore,
} from '../src/index.js'

// The back-channel logout route with logout tokens signed here, against a client whose ID-token
// keys are a static JWKS; the dev IdP drives it for real in web-backchannel-logout-idp.test.ts.
const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'rp-client'
const ORIGIN = 'http://127.0.0.1:4567'
const ROUTE = `${ORIGIN}/auth/backchannel-logout`
const SECRET = 'a-test-secret-that-is-long-enough-0123456789'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('RS256')
})

let jtis = 0
function logoutToken(
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
  signWith: TestKey = key,
): Promise<string> {
  const now = nowSeconds()
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 120,
    jti: `jti-${++jtis}`,
    sub: 'alice',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  }
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signWith.alg, kid: signWith.kid, typ: 'logout+jwt', ...header })
    .sign(signWith.privateKey)
}

function session(id: string, sub: string, extra: Partial<SessionData> = {}): SessionData {
  const now = nowSeconds()
  return {
    id,
    user: { sub, iss: ISSUER },
    tokens: { accessToken: `at-${id}` },
    createdAt: now,
    expiresAt: now + 3600,
    ...extra,
  }
}

async function setup(options: Partial<AuthOptions> = {}, store: SessionStore = new MemorySessionStore()) {
  const client = new OAuthClient({
    metadata: { issuer: ISSUER },
    clientId: CLIENT_ID,
    idTokenKeys: { keys: [key.publicJwk] },
  })
  const auth = createAuth({
    client,
    backchannelLogout: true,
    ...options,
    session: { secrets: SECRET, store, ...options.session },
  })
  for (const data of [
    session('a1', 'alice', { idpSid: 'sid-1' }),
    session('a2', 'alice', { idpSid: 'sid-2' }),
    session('a3', 'alice'),
    session('b1', 'bob', { idpSid: 'sid-b' }),
    session('x1', 'alice', { user: { sub: 'alice', iss: 'https://other-op.example.test' } }),
  ]) {
    await store.set(data.id, data)
  }
  return { auth, store }
}

function post(
  auth: Auth,
  body: string,
  headers: Record<string, string> = {},
  url = ROUTE,
): Promise<Response> {
  return auth.handler(
    new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    }),
  )
}

const form = (token: string) => `logout_token=${encodeURIComponent(token)}`

async function remaining(store: SessionStore): Promise<string[]> {
  const ids = []
  for (const id of ['a1', 'a2', 'a3', 'b1', 'x1']) if ((await store.get(id)) !== undefined) ids.push(id)
  return ids
}

/** Expects a 400 `invalid_request` naming `code`, that leaves every session in place. */
async function refused(store: SessionStore, response: Response, code: string, token?: string) {
  expect(response.status).toBe(400)
  expect(response.headers.get('cache-control')).toBe('no-store')
  const text = await response.text()
  const body = JSON.parse(text) as { error: string; error_description: string }
  expect(body.error).toBe('invalid_request')
  expect(body.error_description).toContain(`(${code})`)
  if (token !== undefined) {
    for (const part of token.split('.')) expect(text).not.toContain(part)
  }
  expect(await remaining(store)).toEqual(['a1', 'a2', 'a3', 'b1', 'x1'])
}

describe('back-channel logout: the sessions a valid token names end', () => {
  it('with sub alone: every session of that user at this issuer (200, no-store, empty body)', async () => {
    const { auth, store } = await setup()
    const response = await post(auth, form(await logoutToken()))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.text()).toBe('')
    expect(await remaining(store)).toEqual(['b1', 'x1'])
  })

  it('with sub and sid: that provider session, and the sessions that recorded no sid', async () => {
    const { auth, store } = await setup()
    expect((await post(auth, form(await logoutToken({ sid: 'sid-1' })))).status).toBe(200)
    expect(await remaining(store)).toEqual(['a2', 'b1', 'x1'])
  })

  it('with sid alone: through the store’s listSessionsByIdpSid', async () => {
    const { auth, store } = await setup()
    expect((await post(auth, form(await logoutToken({ sub: undefined, sid: 'sid-2' })))).status).toBe(200)
    expect(await remaining(store)).toEqual(['a1', 'a3', 'b1', 'x1'])
  })

  it('answers 200 when nothing matches (the user has no session here)', async () => {
    const { auth, store } = await setup()
    expect((await post(auth, form(await logoutToken({ sub: 'carol' })))).status).toBe(200)
    expect(await remaining(store)).toHaveLength(5)
  })

  it('accepts an untyped token (no typ, or the generic JWT), which the spec allows', async () => {
    const { auth, store } = await setup()
    expect((await post(auth, form(await logoutToken({ sid: 'sid-1' }, { typ: undefined })))).status).toBe(200)
    expect((await post(auth, form(await logoutToken({ sid: 'sid-2' }, { typ: 'JWT' })))).status).toBe(200)
    expect(await remaining(store)).toEqual(['b1', 'x1'])
  })

  it('accepts a token without exp (earlier drafts) while iat is within maxTokenAge', async () => {
    const { auth } = await setup()
    expect((await post(auth, form(await logoutToken({ exp: undefined })))).status).toBe(200)
  })

  it('is a server-to-server POST: no cookie, cross-site, any Host (no site check)', async () => {
    const { auth, store } = await setup()
    const response = await post(
      auth,
      form(await logoutToken()),
      { 'sec-fetch-site': 'cross-site', origin: 'https://op.example.test' },
      'https://rp.internal.example/auth/backchannel-logout',
    )
    expect(response.status).toBe(200)
    expect(await remaining(store)).toEqual(['b1', 'x1'])
  })
})

describe('back-channel logout: refusals (400 invalid_request, nothing ended)', () => {
  const cases: [string, () => Promise<string>, string][] = [
    [
      'a bad signature',
      async () => logoutToken({}, {}, await makeKey('RS256', key.kid)),
      'ERR_JWT_SIGNATURE_INVALID',
    ],
    ['another issuer', () => logoutToken({ iss: 'https://evil.example.test' }), 'ERR_JWT_ISSUER_INVALID'],
    ['another audience', () => logoutToken({ aud: 'other-client' }), 'ERR_JWT_AUDIENCE_INVALID'],
    [
      'an untrusted extra audience',
      () => logoutToken({ aud: [CLIENT_ID, 'x'] }),
      'ERR_JWT_AUDIENCE_UNTRUSTED',
    ],
    ['no events', () => logoutToken({ events: undefined }), 'ERR_LOGOUT_TOKEN_EVENT_MISSING'],
    [
      'events without the logout event',
      () => logoutToken({ events: { 'urn:x': {} } }),
      'ERR_LOGOUT_TOKEN_EVENT_MISSING',
    ],
    [
      'an event value that is not an object',
      () => logoutToken({ events: { [BACKCHANNEL_LOGOUT_EVENT]: 'yes' } }),
      'ERR_JWT_CLAIM_INVALID',
    ],
    ['a nonce', () => logoutToken({ nonce: 'n' }), 'ERR_LOGOUT_TOKEN_NONCE'],
    ['no jti', () => logoutToken({ jti: undefined }), 'ERR_JWT_CLAIM_MISSING'],
    ['no iat', () => logoutToken({ iat: undefined }), 'ERR_JWT_CLAIM_MISSING'],
    ['neither sub nor sid', () => logoutToken({ sub: undefined }), 'ERR_LOGOUT_TOKEN_SUBJECT_MISSING'],
    ['a typ of another kind (at+jwt)', () => logoutToken({}, { typ: 'at+jwt' }), 'ERR_JWT_TYPE_INVALID'],
    [
      'a typ of another kind (secevent+jwt)',
      () => logoutToken({}, { typ: 'secevent+jwt' }),
      'ERR_JWT_TYPE_INVALID',
    ],
    ['an expired exp', () => logoutToken({ exp: nowSeconds() - 60 }), 'ERR_JWT_EXPIRED'],
    ['an iat in the future', () => logoutToken({ iat: nowSeconds() + 120 }), 'ERR_JWT_ISSUED_IN_FUTURE'],
    [
      'an iat older than maxTokenAge',
      () => logoutToken({ iat: nowSeconds() - 400, exp: undefined }),
      'ERR_JWT_TOO_OLD',
    ],
    [
      'an HS256 token',
      () => new SignJWT({ iss: ISSUER }).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)),
      'ERR_JWT_ALG_NOT_ALLOWED',
    ],
  ]
  for (const [what, make, code] of cases) {
    it(`refuses a token with ${what} (${code})`, async () => {
      const { auth, store } = await setup()
      const token = await make()
      await refused(store, await post(auth, form(token)), code, token)
    })
  }

  it('refuses an ID token (typ JWT, a nonce, no events) sent as a logout token', async () => {
    const { auth, store } = await setup()
    const idToken = await logoutToken(
      { events: undefined, nonce: 'n-1', auth_time: nowSeconds() },
      { typ: 'JWT' },
    )
    await refused(store, await post(auth, form(idToken)), 'ERR_LOGOUT_TOKEN_EVENT_MISSING', idToken)
  })

  it('refuses a replayed token (the same jti), also on another instance sharing the one-time store', async () => {
    const oneTimeStore = new MemoryOneTimeStore()
    const store = new MemorySessionStore()
    const { auth } = await setup({ oneTimeStore }, store)
    const token = await logoutToken({ sub: 'carol' })
    expect((await post(auth, form(token))).status).toBe(200)
    await refused(store, await post(auth, form(token)), 'ERR_LOGOUT_TOKEN_REPLAYED')
    // A second instance (same stores): the jti is spent there too.
    const other = (await setup({ oneTimeStore }, store)).auth
    await refused(store, await post(other, form(token)), 'ERR_LOGOUT_TOKEN_REPLAYED')
    // Another jti from the same provider is a new logout.
    expect((await post(other, form(await logoutToken({ sub: 'bob' })))).status).toBe(200)
  })

  it('refuses a wrong content type, a JSON body and a missing or doubled logout_token', async () => {
    const { auth, store } = await setup()
    const token = await logoutToken()
    await refused(
      store,
      await post(auth, form(token), { 'content-type': 'text/plain' }),
      'ERR_LOGOUT_REQUEST_INVALID',
    )
    await refused(
      store,
      await post(auth, JSON.stringify({ logout_token: token }), { 'content-type': 'application/json' }),
      'ERR_LOGOUT_REQUEST_INVALID',
    )
    await refused(store, await post(auth, 'token=x'), 'ERR_LOGOUT_REQUEST_INVALID')
    await refused(store, await post(auth, `${form(token)}&${form(token)}`), 'ERR_LOGOUT_REQUEST_INVALID')
    // The media type is compared case-insensitively, parameters ignored.
    const charset = await post(auth, form(token), {
      'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
    })
    expect(charset.status).toBe(200)
  })

  it('refuses an oversized body, by its Content-Length or while it streams', async () => {
    const { auth, store } = await setup()
    const big = `${form(await logoutToken())}&pad=${'a'.repeat(20_000)}`
    await refused(store, await post(auth, big), 'ERR_LOGOUT_REQUEST_TOO_LARGE')
    // A lying Content-Length: the stream is cut at the limit.
    const chunk = new TextEncoder().encode('a'.repeat(8192))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 100) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await auth.handler(
      new Request(ROUTE, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '10' },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    await refused(store, streamed, 'ERR_LOGOUT_REQUEST_TOO_LARGE')
    expect(sent).toBeLessThan(10)
  })

  it('answers GET (and other methods) 405 with Allow: POST', async () => {
    const { auth, store } = await setup()
    const response = await auth.handler(new Request(ROUTE))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST')
    expect(await response.json()).toMatchObject({ error: 'invalid_request' })
    expect((await auth.handler(new Request(ROUTE, { method: 'PUT', body: 'x' }))).status).toBe(405)
    expect(await remaining(store)).toHaveLength(5)
  })

  it('refuses a sid-only token when the store cannot look sessions up by sid, without spending its jti', async () => {
    const memory = new MemorySessionStore()
    const store: SessionStore = {
      get: (id) => memory.get(id),
      set: (id, data) => memory.set(id, data),
      delete: (id) => memory.delete(id),
      listUserSessions: (sub) => memory.listUserSessions(sub),
    }
    const { auth } = await setup({}, store)
    const jti = 'retry-me'
    const sidOnly = await logoutToken({ sub: undefined, sid: 'sid-1', jti })
    await refused(store, await post(auth, form(sidOnly)), 'ERR_LOGOUT_SID_UNSUPPORTED')
    // The provider's retry with sub added is not taken for a replay.
    expect((await post(auth, form(await logoutToken({ sid: 'sid-1', jti })))).status).toBe(200)
    expect(await remaining(store)).toEqual(['a2', 'b1', 'x1'])
  })
})

describe('back-channel logout: configuration', () => {
  it('is off by default: the path is no auth route and answers 404', async () => {
    const { auth, store } = await setup({ backchannelLogout: false })
    expect(auth.isAuthRoute('/auth/backchannel-logout')).toBe(false)
    expect((await post(auth, form(await logoutToken()))).status).toBe(404)
    expect(await remaining(store)).toHaveLength(5)
  })

  it('is refused without a session store that lists a user’s sessions (cookie-only mode)', () => {
    const client = new OAuthClient({ metadata: { issuer: ISSUER }, clientId: CLIENT_ID })
    expect(() => createAuth({ client, backchannelLogout: true, session: { secrets: SECRET } })).toThrow(
      expect.objectContaining({ code: 'ERR_SESSION_STORE_REQUIRED' }),
    )
    const bare: SessionStore = { get: async () => undefined, set: async () => {}, delete: async () => {} }
    expect(() =>
      createAuth({ client, backchannelLogout: true, session: { secrets: SECRET, store: bare } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_SESSION_STORE_REQUIRED' }))
    expect(() =>
      createAuth({
        client,
        backchannelLogout: { maxTokenAge: 0 },
        session: { secrets: SECRET, store: new MemorySessionStore() },
      }),
    ).toThrow(/backchannelLogout.maxTokenAge/)
  })

  it('moves with routes.backchannelLogout and basePath, and honours maxTokenAge', async () => {
    const { auth } = await setup({
      basePath: '/api/auth',
      routes: { backchannelLogout: '/bcl' },
      backchannelLogout: { maxTokenAge: 30 },
    })
    expect(auth.paths.backchannelLogout).toBe('/api/auth/bcl')
    expect(auth.isAuthRoute('/api/auth/bcl')).toBe(true)
    const old = await logoutToken({ iat: nowSeconds() - 60 })
    const response = await post(auth, form(old), {}, `${ORIGIN}/api/auth/bcl`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({
      error_description: expect.stringContaining('ERR_JWT_TOO_OLD'),
    })
    expect((await post(auth, form(await logoutToken()), {}, `${ORIGIN}/api/auth/bcl`)).status).toBe(200)
  })

  it('gives the metadata to register at the provider', async () => {
    const { auth } = await setup({ baseUrl: 'https://app.example.test' })
    expect(auth.registrationMetadata()).toEqual({
      redirect_uris: ['https://app.example.test/auth/callback'],
      post_logout_redirect_uris: ['https://app.example.test/'],
      backchannel_logout_uri: 'https://app.example.test/auth/backchannel-logout',
      backchannel_logout_session_required: true,
    })
    const off = (await setup({ backchannelLogout: false })).auth
    expect(off.registrationMetadata(new Request(`${ORIGIN}/`))).toEqual({
      redirect_uris: [`${ORIGIN}/auth/callback`],
      post_logout_redirect_uris: [`${ORIGIN}/`],
    })
    expect(() => off.registrationMetadata()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
})
