// Type-checked by tsconfig.coexist.json (no skipLibCheck): both libraries in one program.

import express, { type Express } from 'express'
import { auth as jwtBearer } from 'express-oauth2-jwt-bearer'
import { getAuth, requireAuth, requireScopes } from '../../src/index.js'

const app: Express = express()
// The routes not migrated yet keep express-oauth2-jwt-bearer, and its `req.auth` type.
app.get('/old', jwtBearer({ issuerBaseURL: 'https://idp.example.com', audience: 'api' }), (req, res) => {
  res.json({ sub: req.auth?.payload.sub })
})
// The migrated ones read ours through getAuth.
app.get(
  '/new',
  requireAuth({ issuer: 'https://idp.example.com', audience: 'api' }),
  requireScopes('read'),
  (req, res) => {
    const auth = getAuth(req)
    res.json({ sub: auth?.claims.sub, scopes: auth?.scopes })
  },
)

export { app }
