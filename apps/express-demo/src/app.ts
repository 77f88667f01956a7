import type { BearerVerifier } from '@org/auth-core'
import { authErrorHandler, requireAuth, requireScopes } from '@org/auth-express'
import express, { type Express } from 'express'

/** The demo API: one public route, one for any valid token, one that needs the `write` scope. */
export function createApp(verifier: BearerVerifier): Express {
  const app = express()
  app.disable('x-powered-by')

  app.get('/', (_req, res) => {
    res.json({ service: 'express-demo', routes: ['GET /api/profile', 'POST /api/notes (scope write)'] })
  })

  const api = express.Router()
  api.use(requireAuth(verifier))
  api.get('/profile', (req, res) => {
    res.json({ sub: req.auth?.claims.sub, scopes: req.auth?.scopes })
  })
  api.post('/notes', requireScopes('write'), (req, res) => {
    res.status(201).json({ created: true, by: req.auth?.claims.sub })
  })
  app.use('/api', api)

  // Logs the stable code only: messages never carry tokens, but codes are what dashboards group by.
  app.use(authErrorHandler({ realm: 'express-demo', onError: (error) => console.log(`auth: ${error.code}`) }))
  return app
}
