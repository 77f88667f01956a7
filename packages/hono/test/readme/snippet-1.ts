// Generated from README.md: do not edit.
import { type AuthEnv, requireAuth, requireScopes } from '@org/auth-hono'
import { Hono } from 'hono'

const app = new Hono<AuthEnv>()

app.use(
  '/api/*',
  requireAuth({ issuer: 'https://idp.example.com', audience: 'https://api.example.com', discovery: true }),
)
app.get('/api/profile', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
app.post('/api/notes', requireScopes('write'), (c) => c.json({ by: c.var.auth.claims.sub }, 201))

export default app
export {}
