import 'reflect-metadata'
import { Controller, Get, Post, UseGuards } from '@nestjs/common'
import { protectedResource } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthGuard, RequireStepUp } from '../src/index.js'
import { MATRIX, type RunningApp, startApp } from './helpers.js'

// RFC 9470 step-up (@RequireStepUp) and RFC 9728 metadata (the protectedResource option) in real
// Nest applications on Express and Fastify, with user tokens from oidc-provider (its JWT access
// tokens carry the login's acr and auth_time).

@Controller('api')
@UseGuards(AuthGuard)
@RequireStepUp({ maxAge: 3600 })
class PaymentsController {
  @Get('balance')
  balance() {
    return { ok: true }
  }

  @Post('transfer')
  @RequireStepUp({ acrValues: ['urn:dev:loa:2'] })
  transfer() {
    return { ok: true }
  }
}

let idp: DevIdp
let baseline: string
let strong: string
let machine: string
beforeAll(async () => {
  idp = await startDevIdp()
  baseline = (await idp.getIdToken({ resource: idp.resource })).accessToken
  strong = (await idp.getIdToken({ resource: idp.resource, acrValues: 'urn:dev:loa:2' })).accessToken
  machine = await idp.getAccessToken({ scope: 'read' })
})
afterAll(async () => {
  await idp?.close()
})

const METADATA = 'http://127.0.0.1/.well-known/oauth-protected-resource/api'

describe.each(MATRIX)('step-up and protected resource metadata on %s with %s', (platform, mode) => {
  let app: RunningApp
  beforeAll(async () => {
    const resource = protectedResource({
      resource: 'http://127.0.0.1/api',
      authorizationServers: [idp.issuer],
      scopesSupported: ['read'],
    })
    app = await startApp({
      platform,
      mode,
      options: {
        verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
        protectedResource: resource,
      },
      controllers: [PaymentsController],
    })
  })
  afterAll(async () => {
    await app?.close()
  })
  const call = (method: string, path: string, token?: string) =>
    fetch(`${app.origin}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    })

  it('admits the acr a handler requires and refuses a weaker one with the RFC 9470 challenge', async () => {
    expect((await call('POST', '/api/transfer', strong)).status).toBe(201)
    const weak = await call('POST', '/api/transfer', baseline)
    expect(weak.status).toBe(401)
    expect(await weak.json()).toMatchObject({ error: 'insufficient_user_authentication' })
    expect(weak.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${METADATA}", error="insufficient_user_authentication", ` +
        'error_description="A stronger authentication is required", acr_values="urn:dev:loa:2"',
    )
  })

  it("applies the controller's requirement where the handler has none", async () => {
    expect((await call('GET', '/api/balance', baseline)).status).toBe(200)
    const refused = await call('GET', '/api/balance', machine)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toContain('max_age="3600"')
  })

  it('serves the metadata document and names it in the challenge of a request without a token', async () => {
    const document = await call('GET', '/.well-known/oauth-protected-resource/api')
    expect(document.status).toBe(200)
    expect(document.headers.get('content-type')).toBe('application/json')
    expect(await document.json()).toEqual({
      resource: 'http://127.0.0.1/api',
      authorization_servers: [idp.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read'],
    })
    const none = await call('GET', '/api/balance')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe(
      // Both schemes the verifier accepts (DPoP mode 'allowed'), each naming the metadata.
      `Bearer resource_metadata="${METADATA}", DPoP resource_metadata="${METADATA}", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"`,
    )
  })
})
