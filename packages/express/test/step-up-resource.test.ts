import { createTokenVerifier, protectedResource, type TokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import express from 'express'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authErrorHandler, protectedResourceMetadata, requireAuth, requireStepUp } from '../src/index.js'

// RFC 9470 step-up and RFC 9728 metadata on Express, with user tokens from oidc-provider: its JWT
// access tokens carry the login's acr and auth_time (RFC 9068 §2.2.1).
let idp: DevIdp
let verifier: TokenVerifier
let baseline: string
let strong: string

beforeAll(async () => {
  idp = await startDevIdp()
  verifier = createTokenVerifier({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri })
  baseline = (await idp.getIdToken({ resource: idp.resource })).accessToken
  strong = (await idp.getIdToken({ resource: idp.resource, acrValues: 'urn:dev:loa:2' })).accessToken
})
afterAll(async () => {
  await idp.close()
})

function app() {
  const resource = protectedResource({
    resource: 'http://127.0.0.1/api/mcp',
    authorizationServers: [idp.issuer],
    scopesSupported: ['read', 'write'],
  })
  const server = express()
  server.use(protectedResourceMetadata(resource))
  server.use('/api', requireAuth(verifier))
  server.post('/api/transfer', requireStepUp({ acrValues: ['urn:dev:loa:2'], maxAge: 3600 }), (_req, res) => {
    res.json({ ok: true })
  })
  server.get('/api/mcp', (_req, res) => {
    res.json({ ok: true })
  })
  server.use(authErrorHandler({ resourceMetadata: resource.metadataUrl }))
  return { server, resource }
}

describe('requireStepUp (RFC 9470)', () => {
  it('admits a token whose login has a required acr and refuses a weaker one with the step-up challenge', async () => {
    const { server } = app()
    const ok = await supertest(server).post('/api/transfer').set('authorization', `Bearer ${strong}`)
    expect(ok.status).toBe(200)
    const weak = await supertest(server).post('/api/transfer').set('authorization', `Bearer ${baseline}`)
    expect(weak.status).toBe(401)
    expect(weak.body).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'A stronger authentication is required',
    })
    expect(weak.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/api/mcp", ' +
        'error="insufficient_user_authentication", error_description="A stronger authentication is required", ' +
        'acr_values="urn:dev:loa:2", max_age="3600"',
    )
  })

  it('refuses a client-credentials token (no login, no acr) and a request without a token', async () => {
    const { server } = app()
    const machine = await idp.getAccessToken({ scope: 'read' })
    const refused = await supertest(server).post('/api/transfer').set('authorization', `Bearer ${machine}`)
    expect(refused.status).toBe(401)
    expect(refused.body.error).toBe('insufficient_user_authentication')
    const none = await supertest(server).post('/api/transfer')
    expect(none.status).toBe(401)
    // Both schemes the verifier accepts (DPoP mode 'allowed'), each naming the metadata.
    const metadata = 'resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/api/mcp"'
    expect(none.headers['www-authenticate']).toBe(
      `Bearer ${metadata}, DPoP ${metadata}, algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"`,
    )
  })

  it('refuses an empty requirement at start-up', () => {
    expect(() => requireStepUp({})).toThrow(/acrValues/)
    expect(() => requireStepUp({ maxAge: -5 })).toThrow(/maxAge/)
  })
})

describe('protectedResourceMetadata (RFC 9728)', () => {
  it('serves the document at the path-aware well-known URL only', async () => {
    const { server, resource } = app()
    const document = await supertest(server).get('/.well-known/oauth-protected-resource/api/mcp')
    expect(document.status).toBe(200)
    expect(document.headers['content-type']).toMatch(/^application\/json/)
    expect(document.headers['access-control-allow-origin']).toBe('*')
    expect(document.body).toEqual({
      resource: 'http://127.0.0.1/api/mcp',
      authorization_servers: [idp.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read', 'write'],
    })
    expect(document.body).toEqual(resource.metadata)
    expect((await supertest(server).get('/.well-known/oauth-protected-resource')).status).toBe(404)
    expect((await supertest(server).post('/.well-known/oauth-protected-resource/api/mcp')).status).toBe(405)
  })
})
