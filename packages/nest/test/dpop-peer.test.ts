import 'reflect-metadata'
import { Controller, Get, UseGuards } from '@nestjs/common'
import type { AuthContext } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { type DpopPeer, dpopPeer, expectDpopPeerAccepted } from '@org/test-kit/dpop-peer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthGuard, CurrentAuth } from '../src/index.js'
import { MATRIX, type RunningApp, startApp } from './helpers.js'

@Controller('api')
@UseGuards(AuthGuard)
class OrdersController {
  @Get('orders/:id')
  order(@CurrentAuth() auth: AuthContext) {
    return { jkt: auth.dpop?.jkt ?? null }
  }
}

let idp: DevIdp
let peer: DpopPeer
beforeAll(async () => {
  idp = await startDevIdp()
  peer = await dpopPeer({ issuer: idp.issuer, ...idp.client, resource: idp.resource })
})
afterAll(async () => {
  await idp?.close()
})

describe.each(MATRIX)(
  'Nest AuthGuard on %s with %s: a DPoP-bound token, proofs by openid-client',
  (platform, mode) => {
    let running: RunningApp
    beforeAll(async () => {
      running = await startApp({
        platform,
        mode,
        options: { verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri } },
        controllers: [OrdersController],
      })
    })
    afterAll(async () => {
      await running?.close()
    })

    it('accepts the bound token with a valid proof, refuses it without one or as Bearer', async () => {
      await expectDpopPeerAccepted(peer, `${running.origin}/api/orders/1?x=1`)
      const body = (await (await peer.call(`${running.origin}/api/orders/2`)).json()) as { jkt: string }
      expect(body.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })
  },
)
