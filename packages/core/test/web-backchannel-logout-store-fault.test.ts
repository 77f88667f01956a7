import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  createAuth,
  MemorySessionStore,
  OAuthClient,
  type SessionData,
  SessionError,
} from '../src/index.js'

// the logout token's jti is spent before the sessions are listed and deleted. When
// the session store fails after that (an outage, a deletion failing half way), the provider's
// retry of the same token (§2.8: a failed logout may be retried) is refused as a replay, and the
// sessions it names stay signed in.
const ISSUER = 'https://op.example.test'
const CLIENT_ID = 'rp-client'
const ROUTE = 'http://127.0.0.1:4567/auth/backchannel-logout'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('RS256')
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

describe('back-channel logout when the session store fails after the jti check', () => {
  it('ends the sessions when the provider retries the same token', async () => {
    const store = new FlakyStore()
    const now = nowSeconds()
    await store.set('a1', {
      id: 'a1',
      user: { sub: 'alice', iss: ISSUER },
      tokens: { accessToken: 'at' },
      createdAt: now,
      expiresAt: now + 3600,
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
      iat: now,
      exp: now + 120,
      jti: 'jti-retry',
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

    store.failNextList = true
    const first = await post()
    expect(first.status).not.toBe(200) // the store was down: the logout did not happen
    expect(await store.get('a1')).toBeDefined()

    // The provider retries the same logout token once the store is back.
    const retry = await post()
    expect(await retry.text()).not.toContain('ERR_LOGOUT_TOKEN_REPLAYED')
    expect(retry.status).toBe(200)
    expect(await store.get('a1')).toBeUndefined()
  })
})
