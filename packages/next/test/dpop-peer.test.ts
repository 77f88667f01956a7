import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { nodeHandler } from '@org/auth-core/node'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { type DpopPeer, dpopPeer, expectDpopPeerAccepted } from '@org/test-kit/dpop-peer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth } from '../src/index.js'

// A `withAuth` route handler, called as Next calls it ((request, { params })), served over HTTP by
// the core's Node bridge so that openid-client can reach it.
let idp: DevIdp
let peer: DpopPeer
let server: Server
let base: string

beforeAll(async () => {
  idp = await startDevIdp()
  peer = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
  const { withAuth } = createNextAuth({
    verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
  })
  const GET = withAuth((_request, { auth }) => Response.json({ jkt: auth.dpop?.jkt ?? null }))
  server = createServer(nodeHandler((request) => GET(request, { params: Promise.resolve({}) })))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server?.close()
  await idp?.close()
})

describe('Next withAuth: a DPoP-bound token from oidc-provider, proofs by openid-client', () => {
  it('accepts the bound token with a valid proof, refuses it without one or as Bearer', async () => {
    await expectDpopPeerAccepted(peer, `${base}/api/orders/1?x=1`)
    const body = (await (await peer.call(`${base}/api/orders/2`)).json()) as { jkt: string }
    expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})
