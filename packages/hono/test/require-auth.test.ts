import { createResourceServer, createTokenVerifier, type TokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type AuthEnv,
  type AuthenticatedEnv,
  AuthHTTPException,
  requireAuth,
  requireScopes,
  requireScopesWith,
} from '../src/index.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

let idp: DevIdp
let verifier: TokenVerifier
let token: string

beforeAll(async () => {
  idp = await startDevIdp({ accessTokenAlg: 'ES256' })
  verifier = createTokenVerifier({
    issuer: idp.issuer,
    audience: idp.resource,
    jwks: idp.jwksUri,
    tokenType: 'access',
  })
  token = await idp.getAccessToken({ scope: 'read write' })
})
afterAll(async () => {
  await idp.close()
})

function buildApp(protect = requireAuth(verifier, { realm: 'api' })) {
  const app = new Hono<AuthEnv>()
  app.get('/public', (c) => c.json({ ok: true }))
  // Every route of the sub-app is behind requireAuth: its env says `auth` is always there.
  const api = new Hono<AuthenticatedEnv>()
  api.use(protect)
  api.get('/me', (c) =>
    c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes, same: c.var.auth.token === token }),
  )
  api.get('/admin', requireScopes('admin'), (c) => c.json({ admin: true }))
  api.get('/write', requireScopesWith(['write'], { realm: 'api' }), (c) => c.json({ write: true }))
  app.route('/api', api)
  return app
}

function get(path: string, authorization?: string, app = buildApp()) {
  return app.request(path, authorization === undefined ? {} : { headers: { authorization } })
}

describe('requireAuth (Hono)', () => {
  it('200: sets c.var.auth from an ES256 access token issued by a real OpenID Provider', async () => {
    const res = await get('/api/me', `Bearer ${token}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: idp.client.clientId, scopes: ['read', 'write'], same: true })
  })

  it('401 without a token: a bare challenge with the realm', async () => {
    const res = await get('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`)
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer token is required',
    })
    expect((await get('/public')).status).toBe(200)
  })

  it('400 invalid_request for malformed headers, including two headers joined by fetch', async () => {
    for (const header of [
      '',
      `Bearer ${token}, Bearer ${token}`,
      `Bearer  ${token}`,
      'Basic dXNlcjpwYXNz',
      'Bearer',
    ]) {
      const res = await get('/api/me', header)
      expect(res.status, header.slice(0, 12)).toBe(400)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_request"/)
      expect(await res.text()).not.toContain(token)
    }
  })

  it('401 invalid_token for an expired-looking forgery and for garbage', async () => {
    const [header, payload] = token.split('.')
    const res = await get('/api/me', `Bearer ${header}.${payload}.AAAA`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token signature is invalid"',
    )
    expect((await get('/api/me', 'Bearer abc.def.ghi')).status).toBe(401)
  })

  it('401 for an ID token presented as an access token', async () => {
    const { idToken } = await idp.getIdToken()
    const idVerifier = createTokenVerifier({
      issuer: idp.issuer,
      audience: [idp.resource, idp.client.clientId],
      jwks: idp.jwksUri,
      tokenType: 'access',
    })
    const res = await get('/api/me', `Bearer ${idToken}`, buildApp(requireAuth(idVerifier)))
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({
      error: 'invalid_token',
      error_description:
        "An access token (typ 'at+jwt', RFC 9068) is required; for an issuer that does not type its access tokens, set tokenType 'untyped-access'",
    })
  })

  it("403 insufficient_scope, with requireAuth's realm (or requireScopesWith's)", async () => {
    const res = await get('/api/admin', `Bearer ${token}`)
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a required scope", scope="admin"',
    )
    // Without a realm at requireAuth, none is invented.
    const bare = await get('/api/admin', `Bearer ${token}`, buildApp(requireAuth(verifier)))
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/)
    expect((await get('/api/write', `Bearer ${token}`)).status).toBe(200)
    const readOnly = await idp.getAccessToken({ scope: 'read' })
    const denied = await get('/api/write', `Bearer ${readOnly}`)
    expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope"/)
  })

  it("403 carries requireAuth's realm when requireScopes comes from another copy of the package", async () => {
    // The ESM and CommonJS builds loaded together: a second evaluation of the same source.
    vi.resetModules()
    const other = (await import('../src/index.js')) as typeof import('../src/index.js')
    vi.resetModules()
    expect(other.requireScopes).not.toBe(requireScopes)
    const app = new Hono<AuthEnv>()
    app.use('/api/*', requireAuth(verifier, { realm: 'api' }))
    app.get('/api/admin', other.requireScopes('admin'), (c) => c.json({ admin: true }))
    const res = await app.request('/api/admin', { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope"/)
  })

  it('503 with Retry-After when the JWKS is unreachable from the start', async () => {
    const down = await startDevIdp()
    down.setJwksMode('down')
    const fresh = createTokenVerifier({ issuer: down.issuer, audience: down.resource, jwks: down.jwksUri })
    const res = await get('/api/me', `Bearer ${await down.getAccessToken()}`, buildApp(requireAuth(fresh)))
    await down.close()
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(res.headers.get('www-authenticate')).toBeNull()
  })

  it('by default answers directly and exposes the AuthError on c.error to outer middleware', async () => {
    const seen: string[] = []
    const app = new Hono<AuthEnv>()
    app.use(async (c, next) => {
      await next()
      if (c.error !== undefined) seen.push((c.error as { code?: string }).code ?? 'not an AuthError')
    })
    app.use('/api/*', requireAuth(verifier))
    app.get('/api/me', (c) => c.text('ok'))
    let onErrorCalls = 0
    app.onError((_error, c) => {
      onErrorCalls++
      return c.text('unexpected', 500)
    })
    const res = await app.request('/api/me', { headers: { authorization: 'Bearer a.b.c' } })
    expect(res.status).toBe(401)
    // No header at all takes the prebuilt answer: the same exposure on c.error.
    const missing = await app.request('/api/me')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer, DPoP algs="${ALGS}"`)
    expect(seen).toEqual(['ERR_JWT_MALFORMED', 'ERR_BEARER_MISSING'])
    expect(onErrorCalls).toBe(0)
  })

  it('with throwHttpException, lets app.onError see the AuthError behind the HTTPException', async () => {
    const codes: string[] = []
    const app = buildApp(requireAuth(verifier, { realm: 'api', throwHttpException: true }))
    app.onError((error, c) => {
      if (error instanceof HTTPException) {
        codes.push((error.cause as { code: string }).code)
        return error.getResponse()
      }
      return c.text('unexpected', 500)
    })
    const res = await app.request('/api/me', { headers: { authorization: 'Bearer a.b.c' } })
    expect(res.status).toBe(401)
    const missing = await app.request('/api/me')
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", DPoP realm="api", algs="${ALGS}"`,
    )
    expect(codes).toEqual(['ERR_JWT_MALFORMED', 'ERR_BEARER_MISSING'])
  })

  it('throws an AuthHTTPException whose response can be built more than once', async () => {
    const app = buildApp(requireAuth(verifier, { realm: 'api', throwHttpException: true }))
    let thrown: unknown
    app.onError((error) => {
      thrown = error
      return (error as HTTPException).getResponse()
    })
    await app.request('/api/me')
    expect(thrown).toBeInstanceOf(AuthHTTPException)
    expect(thrown).toBeInstanceOf(HTTPException)
    const exception = thrown as AuthHTTPException
    expect(exception.name).toBe('AuthHTTPException')
    expect(exception.status).toBe(401)
    expect(exception.cause.code).toBe('ERR_BEARER_MISSING')
    for (let i = 0; i < 2; i++) {
      const res = exception.getResponse()
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`)
      expect(await res.json()).toEqual({
        error: 'unauthorized',
        error_description: 'A bearer token is required',
      })
    }
  })

  it("through Hono's default error handler, a thrown failure still answers RFC 6750", async () => {
    const app = buildApp(requireAuth(verifier, { realm: 'api', throwHttpException: true }))
    const res = await app.request('/api/me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`)
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer token is required',
    })
  })

  it('accepts a resource server and verifier options', async () => {
    const server = createResourceServer({ verifiers: [verifier] })
    expect((await get('/api/me', `Bearer ${token}`, buildApp(requireAuth(server)))).status).toBe(200)
    const fromOptions = requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri })
    expect((await get('/api/me', `Bearer ${token}`, buildApp(fromOptions))).status).toBe(200)
  })

  it('rejects bad configuration at start-up', () => {
    expect(() => requireAuth({ issuer: idp.issuer, audience: [], jwks: idp.jwksUri })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => requireScopes('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
})
