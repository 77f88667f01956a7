/**
 * Peer: express-session with connect-redis on the same Redis, at their defaults (`resave: false`,
 * `saveUninitialized: false`; connect-redis touches the session's TTL on every request).
 */
import { RedisStore } from 'connect-redis'
import express, { type RequestHandler } from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { listenExpress } from '../listen.js'
import { type PeerSession, PROTECTED_PATH, type SessionServer } from '../types.js'

declare module 'express-session' {
  interface SessionData {
    user: PeerSession['user']
    tokens: PeerSession['tokens']
  }
}

export const servers: SessionServer[] = [
  {
    name: 'express-session-redis',
    framework: 'express',
    role: 'peer',
    login: 'peer',
    needs: ['redis'],
    description:
      'Express 5: `express-session` + `connect-redis` (node-redis 5 client), defaults: `GET` and a TTL touch (`EXPIRE`) in Redis per request; the same claims and tokens in the session; 401 without a user',
    async listen(context) {
      const client = await createClient({ url: context.redisUrl }).connect()
      const app = express()
      app.use(
        session({
          store: new RedisStore({ client, prefix: `${context.redisPrefix}sess:` }),
          secret: context.secret,
          resave: false,
          saveUninitialized: false,
          // As ours: one day, HttpOnly, SameSite=Lax (no Secure on http://127.0.0.1).
          cookie: { maxAge: 86_400_000, httpOnly: true, sameSite: 'lax' },
        }),
      )
      app.post('/bench/login', express.json({ limit: '64kb' }), (req, res, next) => {
        const body = req.body as PeerSession
        req.session.regenerate((error) => {
          if (error) return next(error)
          req.session.user = body.user
          req.session.tokens = body.tokens
          req.session.save((saveError) => (saveError ? next(saveError) : res.status(204).end()))
        })
      })
      const requireUser: RequestHandler = (req, res, next) => {
        if (req.session.user === undefined) res.status(401).json({ error: 'unauthorized' })
        else next()
      }
      app.get(PROTECTED_PATH, requireUser, (req, res) => {
        res.json({ sub: req.session.user?.sub })
      })
      return listenExpress(app, context.port)
    },
  },
]
