import { createTokenVerifier, protectedResource, type TokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AuthEnv, protectedResourceMetadata, requireAuth, requireStepUp } from '../src/index.js'

// RFC 9470 step-up and RFC 9728 metadata on Hono, with user tokens from oidc-provider (its JWT
// access tokens carry the login's acr and auth_time).
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
    resource: 'https://api.example.com/',
    authorizationServers: [idp.issuer],
  })
  const server = new Hono<AuthEnv>()
  server.use(protectedResourceMetadata(resource))
  server.use('/api/*', requireAuth(verifier, { resourceMetadata: resource.metadataUrl, realm: 'api' }))
  server.post('/api/transfer', requireStepUp({ acrValues: ['urn:dev:loa:2'] }), (c) => c.json({ ok: true }))
  server.post('/api/recent', requireStepUp({ maxAge: 3600 }), (c) => c.json({ ok: true }))
  return { server, resource }
}

const post = (server: Hono<AuthEnv>, path: string, token?: string) =>
  server.request(path, {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })

describe('requireStepUp (RFC 9470)', () => {
  it('admits the required acr, refuses a weaker one with the challenge of the requireAuth before it', async () => {
    const { server } = app()
    expect((await post(server, '/api/transfer', strong)).status).toBe(200)
    const weak = await post(server, '/api/transfer', baseline)
    expect(weak.status).toBe(401)
    expect(await weak.json()).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'A stronger authentication is required',
    })
    expect(weak.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", ' +
        'error="insufficient_user_authentication", error_description="A stronger authentication is required", ' +
        'acr_values="urn:dev:loa:2"',
    )
  })

  it('checks auth_time against maxAge, and a token without a login has none', async () => {
    const { server } = app()
    expect((await post(server, '/api/recent', baseline)).status).toBe(200)
    const machine = await idp.getAccessToken({ scope: 'read' })
    const refused = await post(server, '/api/recent', machine)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toContain('max_age="3600"')
  })
})

describe('protectedResourceMetadata (RFC 9728)', () => {
  it('serves the document at the well-known URL and names it in every challenge', async () => {
    const { server, resource } = app()
    const document = await server.request('/.well-known/oauth-protected-resource')
    expect(document.status).toBe(200)
    expect(await document.json()).toEqual(resource.metadata)
    const none = await post(server, '/api/transfer')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe(
      // Both schemes the verifier accepts (DPoP mode 'allowed'), each naming the metadata.
      'Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", ' +
        'DPoP realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", ' +
        'algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
  })
})
