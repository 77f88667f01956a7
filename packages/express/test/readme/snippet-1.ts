// Generated from README.md: do not edit.
import { authErrorHandler, requireAuth, requireScopes } from '@org/auth-express'
import express from 'express'

const app = express()

app.use(
  '/api',
  requireAuth({ issuer: 'https://idp.example.com', audience: 'https://api.example.com', discovery: true }),
)
app.get('/api/profile', (req, res) => {
  res.json({ sub: req.auth?.claims.sub, scopes: req.auth?.scopes })
})
app.post('/api/notes', requireScopes('write'), (req, res) => {
  res.status(201).json({ by: req.auth?.claims.sub })
})

app.use(authErrorHandler({ realm: 'api' })) // after the routes
app.listen(3000)
export {}
