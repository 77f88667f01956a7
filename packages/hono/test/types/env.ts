// Type-level checks (compiled by `tsc -p tsconfig.json`, never run): where `c.var.auth` is
// known to be there, and where it is not. A wrong `@ts-expect-error` fails the typecheck.
import { Hono } from 'hono'
import {
  type AuthEnv,
  type AuthenticatedEnv,
  requireAuth,
  requireScopes,
  requireSession,
  type SessionEnv,
} from '../../src/index.js'

declare const verifierOptions: Parameters<typeof requireAuth>[0]
declare const auth: Parameters<typeof requireSession>[0]

const app = new Hono<AuthEnv & SessionEnv>()
app.get('/public', (c) => {
  // @ts-expect-error a public route may have no auth
  const sub: string = c.var.auth.claims.sub
  return c.text(c.var.auth === undefined ? 'guest' : sub)
})
// After requireAuth in the same route, `auth` is there.
app.get('/me', requireAuth(verifierOptions), (c) => c.text(c.var.auth.claims.sub))
app.get('/write', requireAuth(verifierOptions), requireScopes('write'), (c) => c.text(c.var.auth.token))
app.get('/page', requireSession(auth), (c) => c.json(c.var.auth.session.data ?? {}))

// A sub-app whose every route is behind requireAuth.
const api = new Hono<AuthenticatedEnv>()
api.use(requireAuth(verifierOptions))
api.get('/profile', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
app.route('/api', api)

export { app }
