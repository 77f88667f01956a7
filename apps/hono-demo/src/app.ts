import type { BearerVerifier } from '@org/auth-core'
import { type AuthEnv, requireAuth, requireScopesWith } from '@org/auth-hono'
import { Hono } from 'hono'

const realm = 'hono-demo'

/** The demo API: one public route, one for any valid token, one that needs the `write` scope. */
export function createApp(verifier: BearerVerifier): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.get('/', (c) =>
    c.json({ service: 'hono-demo', routes: ['GET /api/profile', 'POST /api/notes (scope write)'] }),
  )
  app.use('/api/*', requireAuth(verifier, { realm }))
  app.get('/api/profile', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
  app.post('/api/notes', requireScopesWith(['write'], { realm }), (c) =>
    c.json({ created: true, by: c.var.auth.claims.sub }, 201),
  )
  return app
}
