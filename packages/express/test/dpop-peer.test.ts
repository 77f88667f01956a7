import type { AddressInfo } from 'node:net'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { type DpopPeer, dpopPeer, expectDpopPeerAccepted } from '@org/test-kit/dpop-peer'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import '../src/globals.js'
import { authErrorHandler, getAuth, requireAuth } from '../src/index.js'

let idp: DevIdp
let peer: DpopPeer
let server: ReturnType<express.Express['listen']>
let base: string

beforeAll(async () => {
  idp = await startDevIdp()
  peer = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
  const app = express()
  app.get(
    '/api/orders/:id',
    requireAuth({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri }),
    (req, res) => {
      const auth = getAuth(req)
      res.json({ jkt: auth !== undefined && 'dpop' in auth ? auth.dpop?.jkt : null })
    },
  )
  app.use(authErrorHandler())
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server?.close()
  await idp?.close()
})

describe('Express: a DPoP-bound token from oidc-provider, proofs by openid-client', () => {
  it('accepts the bound token with a valid proof, refuses it without one or as Bearer', async () => {
    await expectDpopPeerAccepted(peer, `${base}/api/orders/1?x=1`)
    const body = await (await peer.call(`${base}/api/orders/2`)).json()
    expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('checks htu against the public origin when one is configured (a proxy in front)', async () => {
    const app = express()
    app.get(
      '/api/x',
      requireAuth(
        { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
        { origin: 'https://api.example.com' },
      ),
      (_req, res) => {
        res.json({})
      },
    )
    app.use(authErrorHandler())
    const proxied = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => proxied.once('listening', resolve))
    const url = `http://127.0.0.1:${(proxied.address() as AddressInfo).port}/api/x`
    try {
      // The proof names the URL the client called, which is not the public one: refused.
      // openid-client throws on a challenge; its `cause` lists the parsed challenges.
      const refused = await peer.call(url).then(
        () => undefined,
        (error: { status?: number; cause?: unknown }) => error,
      )
      expect(refused?.status).toBe(401)
      expect(refused?.cause).toContainEqual(
        expect.objectContaining({
          scheme: 'dpop',
          parameters: expect.objectContaining({ error: 'invalid_dpop_proof' }),
        }),
      )
    } finally {
      proxied.close()
    }
  })
})
