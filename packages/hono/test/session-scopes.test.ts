import { createAuth, MemorySessionStore, type SessionData } from '@org/auth-core'
import { DEMO_CLIENTS, type DevIdp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authRoutes, requireScopes, requireSession, type SessionEnv } from '../src/index.js'
import { browser, Jar } from './helpers.js'

// `requireScopes()` after `requireSession()` compares the scopes of the session's ACCESS token,
// never the user's ID-token claims. The login is real (oidc-provider, the Hono demo's client, whose
// access tokens are JWTs for the demo API carrying the granted `read`); the IdP additionally
// reports a user attribute named `scp` with the value `admin`, as an IdP mapping a directory
// attribute into its ID token (or userinfo) would: a store that adds it to every session's user
// plays that part, since oidc-provider only releases the claims of standard scopes.
const { clientId, clientSecret } = DEMO_CLIENTS.hono
const ORIGIN = 'http://localhost:3002'
const { get, logIn } = browser(ORIGIN)

/** Sessions whose user carries the claims `scp: admin` and `scope: admin` (user data, not a grant). */
class AttributeStore extends MemorySessionStore {
  override set(id: string, session: SessionData): Promise<void> {
    return super.set(id, { ...session, user: { ...session.user, scp: 'admin', scope: 'admin' } })
  }
}

let idp: DevIdp
let app: Hono<SessionEnv>
beforeAll(async () => {
  idp = await startDevIdp()
  const auth = createAuth({
    issuer: idp.issuer,
    clientId,
    clientSecret,
    scopes: ['openid', 'profile', 'read'],
    session: { secrets: 'a-hono-scope-test-secret-long-enough-42', store: new AttributeStore() },
  })
  app = new Hono<SessionEnv>()
  app.route('/', authRoutes(auth))
  const answer = (c: { json(body: unknown): Response }) => c.json({ ok: true })
  app.get('/admin', requireSession(auth, { onMissing: '401' }), requireScopes('admin'), answer)
  app.get('/reader', requireSession(auth, { onMissing: '401' }), requireScopes('read'), answer)
  app.get('/me', requireSession(auth), (c) =>
    c.json({ claims: c.var.auth.claims, scopes: c.var.auth.scopes }),
  )
})
afterAll(async () => {
  await idp?.close()
})

describe('requireScopes after requireSession', () => {
  it("checks the access token's scopes: a user claim `scp: admin` grants nothing", async () => {
    const jar = new Jar()
    await logIn(app, idp, jar, '/auth/login')
    // The set-up holds: the user's claims say admin, the access token was granted `read` only.
    const me = (await (await get(app, jar, '/me')).json()) as { claims: object; scopes: string[] }
    expect(me.claims).toMatchObject({ sub: 'alice', scp: 'admin', scope: 'admin' })
    expect(me.scopes).toContain('read')
    expect(me.scopes).not.toContain('admin')

    const admin = await get(app, jar, '/admin')
    expect(admin.status).toBe(403)
    expect(admin.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", error_description="The token lacks a required scope", scope="admin"',
    )
    // A scope the access token has passes, though the user's claims do not list it.
    const reader = await get(app, jar, '/reader')
    expect(reader.status).toBe(200)
    expect(await reader.json()).toEqual({ ok: true })
  })

  it('checks the scope names of requireSession() when it is created', () => {
    const auth = createAuth({ issuer: idp.issuer, clientId, session: { secrets: 'x'.repeat(32) } })
    expect(() => requireSession(auth, { scopes: ['read write'] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })

  it('answers 401 before any scope check without a session', async () => {
    const refused = await get(app, new Jar(), '/reader')
    expect(refused.status).toBe(401)
  })
})
