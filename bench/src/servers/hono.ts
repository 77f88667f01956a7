/**
 * The Hono servers under test, served with @hono/node-server. Each answers `GET /protected` with
 * a small JSON body; protected ones echo the token's `sub`. All use the same JWKS URL.
 */
import { type AuthEnv, requireAuth } from '@org/auth-hono'
import { Hono } from 'hono'
import { jwk } from 'hono/jwk'
import { ANONYMOUS, type ServerConfig } from '../config.js'

export type FetchHandler = (request: Request) => Response | Promise<Response>

function oursApp(config: ServerConfig, cache: boolean): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const options = { issuer: config.issuer, audience: config.audience, jwks: config.jwksUri }
  app.get('/protected', requireAuth(cache ? options : { ...options, cache: false }), (c) =>
    // `c.get`: Hono's `c.var` copies every variable into a new object on each access.
    c.json({ sub: c.get('auth').claims.sub }),
  )
  return app
}

/**
 * `hono/jwk` refuses any `typ` other than `JWT` unless `verification.typ` is set, so RFC 9068
 * access tokens (`typ: at+jwt`) need it. Note it fetches `jwks_uri` on every request (no cache).
 */
function honoJwkApp(config: ServerConfig): Hono<{ Variables: { jwtPayload: { sub?: string } } }> {
  const app = new Hono<{ Variables: { jwtPayload: { sub?: string } } }>()
  app.get(
    '/protected',
    jwk({
      jwks_uri: config.jwksUri,
      alg: ['RS256', 'ES256'],
      verification: { iss: config.issuer, aud: config.audience, typ: 'at+jwt' },
    }),
    (c) => c.json({ sub: c.var.jwtPayload.sub }),
  )
  return app
}

export function createHonoFetch(config: ServerConfig): FetchHandler {
  switch (config.name) {
    case 'hono-bare': {
      const app = new Hono()
      app.get('/protected', (c) => c.json({ sub: ANONYMOUS }))
      return app.fetch
    }
    case 'hono-noop-middleware': {
      const app = new Hono()
      app.get(
        '/protected',
        async (_c, next) => {
          await next()
        },
        (c) => c.json({ sub: ANONYMOUS }),
      )
      return app.fetch
    }
    case 'hono-static-401': {
      const app = new Hono()
      app.get('/protected', (c) =>
        c.json({ error: 'unauthorized', error_description: 'A bearer token is required' }, 401, {
          'cache-control': 'no-store',
          'www-authenticate': 'Bearer',
        }),
      )
      return app.fetch
    }
    case 'hono-ours-cache':
      return oursApp(config, true).fetch
    case 'hono-ours-nocache':
      return oursApp(config, false).fetch
    case 'hono-ours-dpop':
      return oursApp(config, true).fetch
    case 'hono-jwk':
      return honoJwkApp(config).fetch
    default:
      throw new Error(`Unknown Hono server "${config.name}"`)
  }
}
