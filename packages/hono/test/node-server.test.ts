import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthenticatedEnv, requireAuth } from '../src/index.js'

/** The default DPoP algorithms a 401 without a token offers (RFC 9449 §7.1). */
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'

// On @hono/node-server the middleware reads Authorization from the Node request (c.env.incoming).
let idp: DevIdp
let server: ServerType
let port: number
let token: string

beforeAll(async () => {
  idp = await startDevIdp()
  token = await idp.getAccessToken({ scope: 'read' })
  const app = new Hono<AuthenticatedEnv>()
  app.use(
    '/api/*',
    requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri }, { realm: 'api' }),
  )
  app.get('/api/me', (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }))
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
  })
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await idp.close()
})

function get(headers: string[]): Promise<{ status: number; challenge: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    // A raw header array gets no defaults: Host must be given, or the server refuses the request.
    const raw = ['Host', `127.0.0.1:${port}`, ...headers]
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/me', headers: raw }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'], body }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('requireAuth on @hono/node-server', () => {
  it('authenticates from the Node request headers', async () => {
    const res = await get(['Authorization', `Bearer ${token}`])
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ sub: idp.client.clientId, scopes: ['read'] })
  })

  it('answers a bare 401 challenge without a token', async () => {
    const res = await get([])
    expect(res.status).toBe(401)
    expect(res.challenge).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALGS}"`)
  })

  it('refuses two Authorization headers, which Node would otherwise reduce to the first', async () => {
    const res = await get(['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`])
    expect(res.status).toBe(400)
    expect(res.challenge).toMatch(/error="invalid_request"/)
  })

  it('accepts a lowercase scheme and refuses an invalid token', async () => {
    expect((await get(['authorization', `bearer ${token}`])).status).toBe(200)
    const bad = await get(['Authorization', 'Bearer a.b.c'])
    expect(bad.status).toBe(401)
    expect(bad.body).not.toContain(token)
  })
})
