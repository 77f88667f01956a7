import 'reflect-metadata'
import { Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common'
import type { AuthContext, JWTClaims } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthGuard, CurrentAuth, Public, RequireScopes } from '../src/index.js'
import { MATRIX, type RunningApp, rawGet, refusingUrl, startApp } from './helpers.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

// Bearer tokens from the real dev IdP, checked by AuthGuard in real listening Nest applications
// on Express and Fastify, configured with forRoot and forRootAsync.

@Controller('api')
@UseGuards(AuthGuard)
class ApiController {
  @Get('me')
  me(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub, scopes: auth.scopes, hasToken: auth.token.length > 0 }
  }

  @Get('claims')
  claims(@CurrentAuth('claims') claims: JWTClaims) {
    return { sub: claims.sub }
  }

  @Post('notes')
  @HttpCode(201)
  @RequireScopes('write')
  create(@CurrentAuth('scopes') scopes: readonly string[]) {
    return { created: true, scopes }
  }

  @Get('open')
  @Public()
  open() {
    return { open: true }
  }
}

/** Scopes on the controller and the route add up. */
@Controller('admin')
@UseGuards(AuthGuard)
@RequireScopes('admin')
export class AdminController {
  @Get()
  index() {
    return { admin: true }
  }

  @Get('write')
  @RequireScopes('write')
  write() {
    return { admin: true, write: true }
  }
}

/** Protected by the global guard (globalGuard: true): no @UseGuards anywhere. */
@Controller()
class GlobalController {
  @Get('closed')
  closed(@CurrentAuth() auth: AuthContext) {
    return { sub: auth.claims.sub }
  }

  @Get('scoped')
  @RequireScopes('admin')
  scoped() {
    return { admin: true }
  }

  @Get('open')
  @Public()
  open() {
    return { open: true }
  }
}

@Controller('public')
@Public()
class PublicController {
  @Get()
  index() {
    return { open: true }
  }
}

let idp: DevIdp
let read: string
let readWrite: string
let admin: string
beforeAll(async () => {
  idp = await startDevIdp()
  ;[read, readWrite, admin] = await Promise.all([
    idp.getAccessToken({ scope: 'read' }),
    idp.getAccessToken({ scope: 'read write' }),
    idp.getAccessToken({ scope: 'admin write' }),
  ])
})
afterAll(async () => {
  await idp?.close()
})

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe.each(MATRIX)('AuthGuard on %s with %s', (platform, mode) => {
  let routes: RunningApp
  let global: RunningApp
  let keysDown: RunningApp
  beforeAll(async () => {
    const verifier = {
      issuer: idp.issuer,
      audience: idp.resource,
      jwks: idp.jwksUri,
      tokenType: 'access' as const,
    }
    routes = await startApp({
      platform,
      mode,
      options: { verifier, realm: 'api' },
      controllers: [ApiController, AdminController],
    })
    global = await startApp({
      platform,
      mode,
      options: { verifier, realm: 'api' },
      controllers: [GlobalController, PublicController],
      globalGuard: true,
    })
    // The JWKS endpoint refuses connections: no key can be had.
    const refused = { issuer: idp.issuer, audience: idp.resource, jwks: await refusingUrl('/jwks') }
    keysDown = await startApp({
      platform,
      mode,
      options: { verifier: refused },
      controllers: [ApiController],
    })
  })
  afterAll(async () => {
    await Promise.all([routes?.close(), global?.close(), keysDown?.close()])
  })

  it('200: @CurrentAuth() gives the verified claims, scopes and token', async () => {
    const res = await fetch(`${routes.origin}/api/me`, { headers: bearer(read) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: idp.client.clientId, scopes: ['read'], hasToken: true })
    const claims = await fetch(`${routes.origin}/api/claims`, { headers: bearer(read) })
    expect(await claims.json()).toEqual({ sub: idp.client.clientId })
  })

  it('401 without a token: a bare challenge with the realm, never a bare 401', async () => {
    const res = await fetch(`${routes.origin}/api/me`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'A bearer token is required',
    })
  })

  it('401 invalid_token for a forged signature, without echoing the token', async () => {
    const [header, payload] = read.split('.')
    const res = await fetch(`${routes.origin}/api/me`, {
      headers: bearer(`${header}.${payload}.${'A'.repeat(342)}`),
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token signature is invalid"',
    )
    expect(await res.text()).not.toContain(payload)
  })

  it('400 invalid_request for a malformed header, and for two Authorization headers', async () => {
    for (const header of ['Bearer', `Bearer  ${read}`, 'Basic dXNlcjpwYXNz']) {
      const res = await fetch(`${routes.origin}/api/me`, { headers: { authorization: header } })
      expect(res.status, header.slice(0, 12)).toBe(400)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_request"/)
      expect((await res.json()).error).toBe('invalid_request')
    }
    const twice = await rawGet(routes.origin, '/api/me', [
      'Authorization',
      `Bearer ${read}`,
      'Authorization',
      `Bearer ${read}`,
    ])
    expect(twice.status).toBe(400)
    expect(twice.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="Only one Authorization header is allowed"',
    )
  })

  it('403 insufficient_scope from @RequireScopes on a route, with the scope in the challenge', async () => {
    const refused = await fetch(`${routes.origin}/api/notes`, { method: 'POST', headers: bearer(read) })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a required scope", scope="write"',
    )
    expect((await refused.json()).error).toBe('insufficient_scope')
    const created = await fetch(`${routes.origin}/api/notes`, { method: 'POST', headers: bearer(readWrite) })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ created: true, scopes: ['read', 'write'] })
  })

  it('403 when the controller and the route scopes are not all granted', async () => {
    expect((await fetch(`${routes.origin}/admin`, { headers: bearer(readWrite) })).status).toBe(403)
    expect((await fetch(`${routes.origin}/admin`, { headers: bearer(admin) })).status).toBe(200)
    const both = await fetch(`${routes.origin}/admin/write`, { headers: bearer(admin) })
    expect(await both.json()).toEqual({ admin: true, write: true })
    const adminOnly = await idp.getAccessToken({ scope: 'admin' })
    const missing = await fetch(`${routes.origin}/admin/write`, { headers: bearer(adminOnly) })
    expect(missing.status).toBe(403)
    expect(missing.headers.get('www-authenticate')).toMatch(/scope="admin write"$/)
  })

  it('503 with Retry-After when the JWKS endpoint refuses connections', async () => {
    const res = await fetch(`${keysDown.origin}/api/me`, { headers: bearer(read) })
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(res.headers.get('www-authenticate')).toBeNull()
    expect((await res.json()).error).toBe('temporarily_unavailable')
  })

  it('@Public() opts a route out of a per-controller guard', async () => {
    const res = await fetch(`${routes.origin}/api/open`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ open: true })
  })

  it('globalGuard protects every route; @Public() on a route or a controller opts out', async () => {
    const closed = await fetch(`${global.origin}/closed`)
    expect(closed.status).toBe(401)
    expect(closed.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", DPoP realm="api", algs="${ALGS}"`,
    )
    const ok = await fetch(`${global.origin}/closed`, { headers: bearer(read) })
    expect(await ok.json()).toEqual({ sub: idp.client.clientId })
    expect((await fetch(`${global.origin}/scoped`, { headers: bearer(read) })).status).toBe(403)
    expect((await fetch(`${global.origin}/scoped`, { headers: bearer(admin) })).status).toBe(200)
    expect((await fetch(`${global.origin}/open`)).status).toBe(200)
    expect((await fetch(`${global.origin}/public`)).status).toBe(200)
  })
})
