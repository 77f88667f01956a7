// Generated from README.md: do not edit.
import { type AuthenticatedEnv, type AuthEnv, requireAuth, requireScopes } from '@org/auth-hono'
import { Hono } from 'hono'

const app = new Hono<AuthEnv>()
app.get('/', (c) => c.text('public')) // here `c.var.auth` is typed possibly undefined

// Every route of `api` is behind requireAuth: its env says `c.var.auth` is always there.
const api = new Hono<AuthenticatedEnv>()
api.use(
  requireAuth({ issuer: 'https://idp.example.com', audience: 'https://api.example.com', discovery: true }),
)
api.get('/profile', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
api.post('/notes', requireScopes('write'), (c) => c.json({ by: c.var.auth.claims.sub }, 201))
app.route('/api', api)

export default app
export {}
