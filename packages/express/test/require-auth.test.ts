import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenVerifier, type TokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import express5, { type NextFunction, type Request, type Response } from 'express'
import express4 from 'express4'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../src/globals.js'
import { authErrorHandler, getAuth, requireAuth, requireScopes } from '../src/index.js'

let idp: DevIdp
let verifier: TokenVerifier
let token: string

beforeAll(async () => {
  idp = await startDevIdp()
  verifier = createTokenVerifier({
    issuer: idp.issuer,
    audience: idp.resource,
    jwks: idp.jwksUri,
    tokenType: 'access',
  })
  token = await idp.getAccessToken({ scope: 'read' })
})
afterAll(async () => {
  await idp.close()
})

function buildApp(express: typeof express5, protect = requireAuth(verifier)) {
  const app = express()
  app.get('/public', (_req, res) => {
    res.json({ ok: true })
  })
  app.use('/api', protect)
  app.get('/api/me', (req, res) => {
    const auth = getAuth(req)
    res.json({
      sub: auth?.claims.sub,
      scopes: auth?.scopes,
      sameToken: auth?.token === token,
      reqAuth: req.auth === auth, // the opt-in `req.auth` holds the same value
    })
  })
  app.get('/api/admin', requireScopes('admin'), (_req, res) => {
    res.json({ admin: true })
  })
  app.use(authErrorHandler({ realm: 'api' }))
  return app
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s', (_name, express) => {
  const app = () => buildApp(express)

  it('200: sets req.auth with claims, token and scopes', async () => {
    const res = await supertest(app()).get('/api/me').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ sub: idp.client.clientId, scopes: ['read'], sameToken: true, reqAuth: true })
  })

  it('adds only req.auth to the request, and nothing to res.locals', async () => {
    const seen = express()
    seen.get('/api/seen', requireAuth(verifier), (req, res) => {
      const ours = (target: object) =>
        Object.getOwnPropertySymbols(target).filter((symbol) => String(symbol).includes('@org/auth-express'))
      res.json({
        onRequest: ours(req).length,
        inLocals: ours(res.locals).length,
        sub: getAuth(req)?.claims.sub,
      })
    })
    const res = await supertest(seen).get('/api/seen').set('Authorization', `Bearer ${token}`)
    expect(res.body).toEqual({ onRequest: 0, inLocals: 0, sub: idp.client.clientId })
  })

  it('keeps each request its own authentication when the app shares one res.locals object', async () => {
    const shared = {}
    const leaky = express()
    leaky.use((_req, res, next) => {
      res.locals = shared // a mistake, but not one that may hand one request another's identity
      next()
    })
    leaky.get('/api/me', requireAuth(verifier), (req, res) => {
      res.json({ sub: getAuth(req)?.claims.sub })
    })
    leaky.get('/open', (req, res) => {
      res.json({ auth: getAuth(req) ?? null })
    })
    leaky.get('/scoped', requireScopes('read'), (_req, res) => {
      res.json({ reached: true })
    })
    leaky.use(authErrorHandler())
    const signedIn = await supertest(leaky).get('/api/me').set('Authorization', `Bearer ${token}`)
    expect(signedIn.body).toEqual({ sub: idp.client.clientId })
    expect((await supertest(leaky).get('/open')).body).toEqual({ auth: null })
    expect((await supertest(leaky).get('/scoped')).status).toBe(401)
  })

  it('getAuth and requireScopes keep their value when another library overwrites req.auth', async () => {
    const mixed = express()
    mixed.get(
      '/api/mixed',
      requireAuth(verifier),
      (req, _res, next) => {
        // What express-oauth2-jwt-bearer's auth() does on its routes.
        ;(req as { auth?: unknown }).auth = { payload: { sub: 'someone-else' }, header: {}, token: 'x' }
        next()
      },
      requireScopes('read'),
      (req, res) => {
        res.json({ sub: getAuth(req)?.claims.sub })
      },
    )
    mixed.use(authErrorHandler())
    const res = await supertest(mixed).get('/api/mixed').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ sub: idp.client.clientId })
  })

  it('200: the scheme is case-insensitive', async () => {
    const res = await supertest(app()).get('/api/me').set('Authorization', `bearer ${token}`)
    expect(res.status).toBe(200)
  })

  it('401 without a token: a bare challenge, no error code', async () => {
    const res = await supertest(app()).get('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
    expect(res.body).toEqual({ error: 'unauthorized', error_description: 'A bearer token is required' })
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect((await supertest(app()).get('/public')).status).toBe(200)
  })

  it('hands the missing-token error to next(err) as an AuthError, for custom error handlers', async () => {
    const seen: unknown[] = []
    const custom = express()
    custom.get('/x', requireAuth(verifier), (_req, res) => {
      res.send('unreachable')
    })
    custom.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(error)
      res.status(418).end()
    })
    expect((await supertest(custom).get('/x')).status).toBe(418)
    expect((await supertest(custom).get('/x')).status).toBe(418)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toMatchObject({ name: 'MissingTokenError', code: 'ERR_BEARER_MISSING', status: 401 })
    expect(Object.isFrozen(seen[0])).toBe(true) // one shared instance: nobody can alter it for the next request
  })

  it('400 invalid_request for an empty header, two tokens, extra spaces, another scheme', async () => {
    for (const header of ['', `Bearer ${token} ${token}`, `Bearer  ${token}`, 'Basic dXNlcjpwYXNz']) {
      const res = await supertest(app()).get('/api/me').set('Authorization', header)
      expect(res.status, header.slice(0, 12)).toBe(400)
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_request", error_description="/,
      )
      expect(res.body.error).toBe('invalid_request')
      expect(JSON.stringify(res.body)).not.toContain(token)
    }
  })

  it('400 for two Authorization headers (Node would silently keep the first)', async () => {
    const server = app().listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as AddressInfo
    const answer = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/me',
          // The flat raw form sends each name/value pair as its own header line.
          headers: [
            'Host',
            `127.0.0.1:${port}`,
            'Authorization',
            `Bearer ${token}`,
            'Authorization',
            `Bearer ${token}`,
          ],
        },
        (res) => {
          res.resume()
          resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'] })
        },
      )
      req.on('error', reject)
      req.end()
    })
    server.close()
    expect(answer.status).toBe(400)
    expect(answer.challenge).toBe(
      'Bearer realm="api", error="invalid_request", error_description="Only one Authorization header is allowed"',
    )
  })

  it('401 invalid_token for a bad signature, with the reason in the challenge and no token echoed', async () => {
    const [header, payload] = token.split('.')
    const forged = `${header}.${payload}.${'A'.repeat(342)}`
    const res = await supertest(app()).get('/api/me').set('Authorization', `Bearer ${forged}`)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token signature is invalid"',
    )
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.text).not.toContain(payload)
  })

  it('401 for a token meant for another audience', async () => {
    const other = await idp.getAccessToken({ resource: 'https://other.example.test' })
    const res = await supertest(app()).get('/api/me').set('Authorization', `Bearer ${other}`)
    expect(res.status).toBe(401)
    expect(res.body).toEqual({
      error: 'invalid_token',
      error_description: 'The token is not meant for this audience',
    })
  })

  it('403 insufficient_scope with the required scope in the challenge', async () => {
    const res = await supertest(app()).get('/api/admin').set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(403)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a required scope", scope="admin"',
    )
    const admin = await idp.getAccessToken({ scope: 'read admin' })
    expect((await supertest(app()).get('/api/admin').set('Authorization', `Bearer ${admin}`)).body).toEqual({
      admin: true,
    })
  })

  it('503 with Retry-After when no verification key can be had', async () => {
    const down = await startDevIdp()
    down.setJwksMode('down')
    const fresh = createTokenVerifier({ issuer: down.issuer, audience: down.resource, jwks: down.jwksUri })
    const downToken = await down.getAccessToken()
    const res = await supertest(buildApp(express, requireAuth(fresh)))
      .get('/api/me')
      .set('Authorization', `Bearer ${downToken}`)
    await down.close()
    expect(res.status).toBe(503)
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.body.error).toBe('temporarily_unavailable')
  })

  it('accepts verifier options and creates the verifier once', async () => {
    const protect = requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri })
    const res = await supertest(buildApp(express, protect))
      .get('/api/me')
      .set('Authorization', `Bearer ${token}`)
    expect(res.status).toBe(200)
  })

  it('leaves non-auth errors to the next error handler', async () => {
    const appWithError = express()
    appWithError.get('/boom', () => {
      throw new Error('boom')
    })
    appWithError.use(authErrorHandler())
    appWithError.use(
      (
        _err: unknown,
        _req: unknown,
        res: { status(n: number): { send(b: string): void } },
        _next: unknown,
      ) => {
        res.status(599).send('handled elsewhere')
      },
    )
    const res = await supertest(appWithError).get('/boom')
    expect(res.status).toBe(599)
  })
})

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s without authErrorHandler: its own final handler still answers RFC 6750', (_name, express) => {
  function bareApp() {
    const app = express()
    app.use('/api', requireAuth(verifier))
    app.get('/api/me', (_req, res) => {
      res.json({ ok: true })
    })
    app.get('/api/admin', requireScopes('admin'), (_req, res) => {
      res.json({ admin: true })
    })
    return app
  }

  it('401 with the challenge for a missing and an invalid token, 403 for a missing scope', async () => {
    const missing = await supertest(bareApp()).get('/api/me')
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toBe(
      'Bearer, DPoP algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
    expect(missing.headers['cache-control']).toBe('no-store')
    const invalid = await supertest(bareApp()).get('/api/me').set('Authorization', 'Bearer x.y.z')
    expect(invalid.status).toBe(401)
    expect(invalid.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="/)
    const scope = await supertest(bareApp()).get('/api/admin').set('Authorization', `Bearer ${token}`)
    expect(scope.status).toBe(403)
    expect(scope.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="admin"/)
    // The token never appears in the page Express renders.
    expect(scope.text).not.toContain(token)
  })
})

describe('configuration errors', () => {
  it('fails at start-up, not per request', () => {
    expect(() => requireAuth({ issuer: '', audience: 'x', jwks: { keys: [] } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => requireScopes('read write')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
  it('reports each auth error to onError with its code, never the token', async () => {
    const seen: string[] = []
    const app = express5()
    app.use(requireAuth(verifier))
    app.get('/', (_req, res) => {
      res.send('ok')
    })
    app.use(authErrorHandler({ onError: (error) => seen.push(`${error.code}:${error.message}`) }))
    await supertest(app).get('/').set('Authorization', 'Bearer not-a-jwt')
    expect(seen).toEqual(['ERR_JWT_MALFORMED:The token must have three dot-separated segments'])
  })
})
