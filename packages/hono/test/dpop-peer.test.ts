import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { type DpopPeer, dpopPeer, expectDpopPeerAccepted } from '@org/test-kit/dpop-peer'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthenticatedEnv, requireAuth } from '../src/index.js'

let idp: DevIdp
let peer: DpopPeer
let server: ServerType
let base: string

beforeAll(async () => {
  idp = await startDevIdp()
  peer = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
  const app = new Hono<AuthenticatedEnv>()
  app.use('/api/*', requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri }))
  app.get('/api/orders/:id', (c) => c.json({ jkt: c.var.auth.dpop?.jkt ?? null }))
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await idp?.close()
})

describe('Hono (@hono/node-server): a DPoP-bound token from oidc-provider, proofs by openid-client', () => {
  it('accepts the bound token with a valid proof, refuses it without one or as Bearer', async () => {
    await expectDpopPeerAccepted(peer, `${base}/api/orders/1?x=1`)
    const body = (await (await peer.call(`${base}/api/orders/2`)).json()) as { jkt: string }
    expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('refuses two DPoP headers on the Node request (raw headers)', async () => {
    const { request } = await import('node:http')
    const port = Number(new URL(base).port)
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const raw = [
        'Host',
        `127.0.0.1:${port}`,
        'Authorization',
        `DPoP ${peer.accessToken}`,
        'DPoP',
        'a.b.c',
        'DPoP',
        'd.e.f',
      ]
      request({ host: '127.0.0.1', port, path: '/api/orders/1', headers: raw }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
        .on('error', reject)
        .end()
    })
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.body)).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'Only one DPoP header is allowed',
    })
  })
})
