/** Peer: iron-session (sealed cookie, no store) on Express, holding the same claims and tokens. */
import express, { type RequestHandler } from 'express'
import { getIronSession, type SessionOptions } from 'iron-session'
import { listenExpress } from '../listen.js'
import { type PeerSession, PROTECTED_PATH, type SessionServer } from '../types.js'

type IronData = Partial<PeerSession>

export const servers: SessionServer[] = [
  {
    name: 'express-iron-session',
    framework: 'express',
    role: 'peer',
    login: 'peer',
    needs: [],
    description:
      'Express 5: `getIronSession(req, res, …)` from `iron-session` per request (sealed cookie, no store), the same claims and tokens sealed in; 401 without a user',
    listen(context) {
      const options: SessionOptions = {
        password: context.secret,
        cookieName: 'bench-iron',
        ttl: 86_400,
        cookieOptions: { httpOnly: true, sameSite: 'lax', secure: false },
      }
      const app = express()
      app.post('/bench/login', express.json({ limit: '64kb' }), async (req, res, next) => {
        try {
          const session = await getIronSession<IronData>(req, res, options)
          const body = req.body as PeerSession
          session.user = body.user
          session.tokens = body.tokens
          await session.save()
          res.status(204).end()
        } catch (error) {
          next(error)
        }
      })
      const requireUser: RequestHandler = (req, res, next) => {
        getIronSession<IronData>(req, res, options).then((session) => {
          if (session.user === undefined) res.status(401).json({ error: 'unauthorized' })
          else {
            res.locals['user'] = session.user
            next()
          }
        }, next)
      }
      app.get(PROTECTED_PATH, requireUser, (_req, res) => {
        res.json({ sub: (res.locals['user'] as PeerSession['user']).sub })
      })
      return listenExpress(app, context.port)
    },
  },
]
