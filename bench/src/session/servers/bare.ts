/** The references: no session at all, `{"sub":"anonymous"}` for every request (ratio = ours / bare). */
import express from 'express'
import { Hono } from 'hono'
import { listenExpress, listenHono } from '../listen.js'
import { ANONYMOUS, PROTECTED_PATH, type SessionServer } from '../types.js'

export const servers: SessionServer[] = [
  {
    name: 'express-bare',
    framework: 'express',
    role: 'bare',
    login: 'none',
    needs: [],
    description: 'Express 5, no session: the Express baseline',
    listen(context) {
      const app = express()
      app.get(PROTECTED_PATH, (_req, res) => {
        res.json({ sub: ANONYMOUS })
      })
      return listenExpress(app, context.port)
    },
  },
  {
    name: 'hono-bare',
    framework: 'hono',
    role: 'bare',
    login: 'none',
    needs: [],
    description: 'Hono on `@hono/node-server`, no session: the Hono baseline',
    listen(context) {
      const app = new Hono()
      app.get(PROTECTED_PATH, (c) => c.json({ sub: ANONYMOUS }))
      return listenHono(app.fetch, context.port)
    },
  },
]
