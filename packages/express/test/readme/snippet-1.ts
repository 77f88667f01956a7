// Generated from README.md: do not edit.
import { authErrorHandler, getAuth, requireAuth, requireScopes } from '@org/auth-express'
import express from 'express'

const app = express()

app.use(
  '/api',
  requireAuth({ issuer: 'https://idp.example.com', audience: 'https://api.example.com', discovery: true }),
)
app.get('/api/profile', (req, res) => {
  const auth = getAuth(req)
  res.json({ sub: auth?.claims.sub, scopes: auth?.scopes })
})
app.post('/api/notes', requireScopes('write'), (req, res) => {
  res.status(201).json({ by: getAuth(req)?.claims.sub })
})

app.use(authErrorHandler({ realm: 'api' })) // after the routes
app.listen(3000)
export {}
