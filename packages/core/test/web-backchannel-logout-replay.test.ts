import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type Auth,
  BACKCHANNEL_LOGOUT_EVENT,
  createAuth,
  MemorySessionStore,
  OAuthClient,
  type SessionData,
  SessionError,
  type SessionStore,
} from '../src/index.js'

// Replays, retries and which sessions a token ends, with tokens signed here: a logout token is
// accepted while `now - iat <= maxTokenAge + leeway` (the client's `leeway`, up to 600 s), so its
// jti must be remembered that long; it is spent after the deletions, so a retry after a store
// outage completes; and it ends only sessions of its issuer begun before it was issued.
const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'rp-client'
const ROUTE = 'http://127.0.0.1:4567/auth/backchannel-logout'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('RS256')
})

function session(id: string, createdAt = nowSeconds()): SessionData {
  return {
    id,
    user: { sub: 'alice', iss: ISSUER },
    tokens: { accessToken: 'at' },
    createdAt,
    expiresAt: nowSeconds() + 3600,
  }
}

function authWith(store: SessionStore, leeway?: number): Auth {
  const client = new OAuthClient({
    metadata: { issuer: ISSUER },
    clientId: CLIENT_ID,
    idTokenKeys: { keys: [key.publicJwk] },
    ...(leeway === undefined ? {} : { leeway }),
  })
  return createAuth({ client, backchannelLogout: true, session: { secrets: 'x'.repeat(40), store } })
}

async function logoutToken(jti: string, iat = nowSeconds()): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    aud: CLIENT_ID,
    iat,
    jti,
    sub: 'alice',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
    .sign(key.privateKey)
}

function post(auth: Auth, token: string): Promise<Response> {
  return auth.handler(
    new Request(ROUTE, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${encodeURIComponent(token)}`,
    }),
  )
}

describe('back-channel logout replay with a large client leeway', () => {
  it('refuses the same token twice while it is still accepted', async () => {
    const store = new MemorySessionStore()
    await store.set('a1', session('a1', nowSeconds() - 1000)) // began before the logout
    const auth = authWith(store, 300)
    // Accepted: 400 s old, within maxTokenAge (300) + leeway (300).
    const token = await logoutToken('jti-leeway', nowSeconds() - 400)
    expect((await post(auth, token)).status).toBe(200)
    expect(await store.get('a1')).toBeUndefined()

    // Alice signs in again; the same token is replayed.
    await store.set('a2', session('a2'))
    const replay = await post(auth, token)
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('ERR_LOGOUT_TOKEN_REPLAYED')
    expect(await store.get('a2')).toBeDefined()
  })
})

describe('the sessions a logout token names', () => {
  it("matches the issuer the login recorded, whatever onLogin did to the user's claims", async () => {
    const store = new MemorySessionStore()
    const began = nowSeconds() - 100
    // Two sessions of a user "alice": one from this provider whose `iss` claim onLogin dropped,
    // one from another provider sharing the store.
    await store.set('ours', { ...session('ours', began), user: { sub: 'alice' }, issuer: ISSUER })
    await store.set('theirs', {
      ...session('theirs', began),
      user: { sub: 'alice' },
      issuer: 'https://other.example',
    })
    const response = await post(authWith(store), await logoutToken('jti-issuer'))
    expect(response.status).toBe(200)
    expect(await store.get('ours')).toBeUndefined()
    expect(await store.get('theirs')).toBeDefined()
  })
})

/** A memory store whose next `listUserSessions` fails as a store outage would (503). */
class FlakyStore extends MemorySessionStore {
  failNextList = false
  override async listUserSessions(sub: string): Promise<SessionData[]> {
    if (this.failNextList) {
      this.failNextList = false
      throw new SessionError('ERR_STORE_UNAVAILABLE', 'The store is down', 503)
    }
    return super.listUserSessions(sub)
  }
}

describe('back-channel logout when the session store fails', () => {
  it('answers 503 with Retry-After, and ends the sessions when the provider retries the same token', async () => {
    const store = new FlakyStore()
    await store.set('a1', session('a1', nowSeconds() - 10))
    const auth = authWith(store)
    const token = await logoutToken('jti-retry')
    store.failNextList = true
    const first = await post(auth, token)
    expect(first.status).toBe(503)
    expect(first.headers.get('retry-after')).toBe('5')
    expect(await store.get('a1')).toBeDefined()
    // The provider retries the same logout token once the store is back.
    const retry = await post(auth, token)
    expect(await retry.text()).not.toContain('ERR_LOGOUT_TOKEN_REPLAYED')
    expect(retry.status).toBe(200)
    expect(await store.get('a1')).toBeUndefined()
  })
})
