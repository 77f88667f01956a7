import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  createAuth,
  MemorySessionStore,
  OAuthClient,
  type SessionData,
} from '../src/index.js'

// A logout token passes while `now - iat <= maxTokenAge + leeway` (the client's
// `leeway`, up to 600 s), but its jti is remembered only until `iat + maxTokenAge + 60`. With a
// leeway above 60 s, a token in the tail of its window is accepted after its jti has been
// forgotten (here: already when it is first used), so a replay ends the sessions the user
// started after the logout.
const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'rp-client'
const ROUTE = 'http://127.0.0.1:4567/auth/backchannel-logout'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('RS256')
})

function session(id: string, createdAt = nowSeconds()): SessionData {
  const now = nowSeconds()
  return {
    id,
    user: { sub: 'alice', iss: ISSUER },
    tokens: { accessToken: 'at' },
    createdAt,
    expiresAt: now + 3600,
  }
}

describe('back-channel logout replay with a large client leeway', () => {
  it('refuses the same token twice while it is still accepted', async () => {
    const store = new MemorySessionStore()
    await store.set('a1', session('a1', nowSeconds() - 1000)) // began before the logout
    const client = new OAuthClient({
      metadata: { issuer: ISSUER },
      clientId: CLIENT_ID,
      idTokenKeys: { keys: [key.publicJwk] },
      leeway: 300,
    })
    const auth = createAuth({ client, backchannelLogout: true, session: { secrets: 'x'.repeat(40), store } })
    const now = nowSeconds()
    // Accepted: 400 s old, within maxTokenAge (300) + leeway (300).
    const token = await new SignJWT({
      iss: ISSUER,
      aud: CLIENT_ID,
      iat: now - 400,
      jti: 'jti-leeway',
      sub: 'alice',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
      .sign(key.privateKey)
    const post = () =>
      auth.handler(
        new Request(ROUTE, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `logout_token=${encodeURIComponent(token)}`,
        }),
      )

    expect((await post()).status).toBe(200)
    expect(await store.get('a1')).toBeUndefined()

    // Alice signs in again; the same token is replayed.
    await store.set('a2', session('a2'))
    const replay = await post()
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
    const client = new OAuthClient({
      metadata: { issuer: ISSUER },
      clientId: CLIENT_ID,
      idTokenKeys: { keys: [key.publicJwk] },
    })
    const auth = createAuth({ client, backchannelLogout: true, session: { secrets: 'x'.repeat(40), store } })
    const token = await new SignJWT({
      iss: ISSUER,
      aud: CLIENT_ID,
      iat: nowSeconds(),
      jti: 'jti-issuer',
      sub: 'alice',
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' })
      .sign(key.privateKey)
    const response = await auth.handler(
      new Request(ROUTE, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `logout_token=${encodeURIComponent(token)}`,
      }),
    )
    expect(response.status).toBe(200)
    expect(await store.get('ours')).toBeUndefined()
    expect(await store.get('theirs')).toBeDefined()
  })
})
