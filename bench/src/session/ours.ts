/**
 * Our session middleware on Express and Hono, for any session store: `createAuth` from
 * @org/auth-core with the dev IdP's Express-demo client, the login routes mounted (the bench logs
 * in through them), and `requireSession()` on `GET /protected`. A store variant is one call:
 * `oursServers('redis', 'RedisSessionStore …', ['redis'], (context) => ({ store, oneTimeStore }))`; a
 * store on another service passes `[]` and hooks of its own (`unavailable`, `cleanup`).
 */
import { type AuthOptions, createAuth } from '@org/auth-core'
import * as expressAuth from '@org/auth-express'
import { authRoutes, requireSession as honoRequireSession } from '@org/auth-hono'
import { DEMO_CLIENTS } from '@org/dev-idp'
import express from 'express'
import { Hono } from 'hono'
import { listenExpress, listenHono } from './listen.js'
import { PROTECTED_PATH, type SessionServer, type SessionServerContext } from './types.js'

/** What a store variant adds to the options: `session.store`, and a shared `oneTimeStore` if it has one. */
export type StoreOptions = Pick<AuthOptions, 'oneTimeStore'> & { store?: AuthOptions['session']['store'] }

export type StoreFactory = (context: SessionServerContext) => Promise<StoreOptions>

function authOptions(context: SessionServerContext, stores: StoreOptions): AuthOptions {
  const { store, ...rest } = stores
  return {
    issuer: context.issuer,
    clientId: DEMO_CLIENTS.express.clientId,
    clientSecret: DEMO_CLIENTS.express.clientSecret,
    baseUrl: context.origin,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
    // Every other session option at its default (rolling, one day, no chunk limit change).
    session: { secrets: context.secret, ...(store === undefined ? {} : { store }) },
    ...rest,
  }
}

/** The Express and Hono servers of one store variant: `express-ours-<kind>`, `hono-ours-<kind>`. */
export function oursServers(
  kind: string,
  description: string,
  needs: SessionServer['needs'],
  stores: StoreFactory,
  hooks: Pick<SessionServer, 'unavailable' | 'cleanup'> = {},
): SessionServer[] {
  return [
    {
      name: `express-ours-${kind}`,
      framework: 'express',
      role: 'ours',
      login: 'oidc',
      needs,
      ...hooks,
      description: `Express 5: \`auth(createAuth(…))\` + \`requireSession()\` from \`@org/auth-express\`; ${description}`,
      async listen(context) {
        const app = express()
        app.use(expressAuth.auth(createAuth(authOptions(context, await stores(context)))))
        app.get(PROTECTED_PATH, expressAuth.requireSession(), (req, res) => {
          res.json({ sub: expressAuth.getAuth(req)?.claims.sub })
        })
        app.use(expressAuth.authErrorHandler())
        return listenExpress(app, context.port)
      },
    },
    {
      name: `hono-ours-${kind}`,
      framework: 'hono',
      role: 'ours',
      login: 'oidc',
      needs,
      ...hooks,
      description: `Hono: \`authRoutes(createAuth(…))\` + \`requireSession(auth)\` from \`@org/auth-hono\`; ${description}`,
      async listen(context) {
        const auth = createAuth(authOptions(context, await stores(context)))
        const app = new Hono()
        app.route('/', authRoutes(auth))
        app.get(PROTECTED_PATH, honoRequireSession(auth), (c) => c.json({ sub: c.get('auth').claims.sub }))
        return listenHono(app.fetch, context.port)
      },
    },
  ]
}
