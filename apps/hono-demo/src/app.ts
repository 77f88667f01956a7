import type { Auth, BearerVerifier } from '@org/auth-core'
import type { DelegationClient } from '@org/auth-core/delegation'
import {
  type AuthenticatedEnv,
  authRoutes,
  getSession,
  requireAuth,
  requireScopesWith,
  requireSession,
} from '@org/auth-hono'
import {
  callApis,
  createMfaPages,
  createPasskeyPages,
  createSessionPages,
  type DemoPasskeys,
  homePage,
  profilePage,
} from '@org/demo-ui'
import { Hono } from 'hono'

export interface DemoOptions {
  /** Verifies the access tokens the API routes receive. */
  verifier: BearerVerifier
  /** The web login (createAuth) of this demo. */
  auth: Auth
  /** The MFA delegation client of the "MFA settings" pages. */
  delegation: DelegationClient
  /** The passkeys page's stores and public origin (`demoPasskeys(settings)`). Default: memory, any localhost port. */
  passkeys?: DemoPasskeys
}

const NAME = 'hono-demo'
const realm = NAME

/** The local port of the connection (on @hono/node-server), never the Host header. */
function localPort(env: unknown): number | undefined {
  return (env as { incoming?: { socket?: { localPort?: number } } } | undefined)?.incoming?.socket?.localPort
}

/**
 * The demo: a home page with login/logout and the user's claims, a page that calls the protected
 * API with the session's access token, MFA settings (delegation to the IdP), and the API (any
 * token; scope `write`; scope `admin`).
 */
export function createApp({ verifier, auth, delegation, passkeys }: DemoOptions): Hono {
  const app = new Hono()
  const paths = { login: auth.paths.login, logout: auth.paths.logout }
  app.route('/', authRoutes(auth))

  app.get('/', async (c) => {
    const session = await getSession(auth, c)
    return c.html(homePage(NAME, paths, session?.user ?? null))
  })

  app.get('/profile', requireSession(auth), async (c) => {
    const { session } = c.var.auth
    // The call carries a token: the app's own address comes from the socket, not from Host.
    const port = localPort(c.env)
    const origin = port === undefined ? new URL(c.req.url).origin : `http://127.0.0.1:${port}`
    const calls = await callApis(origin, session.accessToken)
    return c.html(profilePage(NAME, paths, session.user, calls))
  })

  const mfaPages = createMfaPages({ demo: NAME, client: delegation, paths })
  app.on(['GET', 'POST'], ['/mfa', '/mfa/*'], requireSession(auth), (c) =>
    mfaPages(c.req.raw, c.var.auth.claims),
  )

  const sessionPages = createSessionPages({ demo: NAME, auth, paths })
  app.on(['GET', 'POST'], ['/sessions', '/sessions/*'], requireSession(auth), (c) => sessionPages(c.req.raw))

  // Passkeys: public (a passkey signs in without the provider); registration and management
  // need the session, which the handler reads itself.
  const passkeyPages = createPasskeyPages({ demo: NAME, auth, paths, ...passkeys })
  app.all('/passkeys', (c) => passkeyPages(c.req.raw))
  app.all('/passkeys/*', (c) => passkeyPages(c.req.raw))

  const api = new Hono<AuthenticatedEnv>()
  api.use('*', requireAuth(verifier, { realm }))
  api.get('/profile', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
  api.post('/notes', requireScopesWith(['write'], { realm }), (c) =>
    c.json({ created: true, by: c.var.auth.claims.sub }, 201),
  )
  api.get('/admin', requireScopesWith(['admin'], { realm }), (c) => c.json({ admin: true }))
  app.route('/api', api)
  return app
}
