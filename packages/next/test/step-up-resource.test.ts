import { protectedResource } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createNextAuth, type NextAuth, protectedResourceRoute } from '../src/index.js'

// RFC 9470 step-up on withAuth and RFC 9728 metadata on a bearer-only Next.js API, with user
// tokens from oidc-provider (its JWT access tokens carry the login's acr and auth_time).
let idp: DevIdp
let nextAuth: NextAuth
let baseline: string
let strong: string
const resource = () =>
  protectedResource({ resource: 'https://app.example.com/api/mcp', authorizationServers: [idp.issuer] })
const METADATA = 'https://app.example.com/.well-known/oauth-protected-resource/api/mcp'

beforeAll(async () => {
  idp = await startDevIdp()
  nextAuth = createNextAuth({
    verifier: { issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri },
    protectedResource: resource(),
  })
  baseline = (await idp.getIdToken({ resource: idp.resource })).accessToken
  strong = (await idp.getIdToken({ resource: idp.resource, acrValues: 'urn:dev:loa:2' })).accessToken
})
afterAll(async () => {
  await idp?.close()
})

const context = { params: Promise.resolve({}) }
const post = (token?: string) =>
  new Request('https://app.example.com/api/mcp/transfer', {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })

describe('withAuth with a step-up requirement (RFC 9470)', () => {
  const transfer = () =>
    nextAuth.withAuth(() => Response.json({ ok: true }), { acrValues: ['urn:dev:loa:2'], maxAge: 3600 })

  it('admits the required acr and refuses a weaker login with the challenge', async () => {
    expect((await transfer()(post(strong), context)).status).toBe(200)
    const weak = await transfer()(post(baseline), context)
    expect(weak.status).toBe(401)
    expect(weak.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${METADATA}", error="insufficient_user_authentication", ` +
        'error_description="A stronger authentication is required", acr_values="urn:dev:loa:2", max_age="3600"',
    )
  })

  it('names the metadata in the challenge of a request without a token', async () => {
    const none = await transfer()(post(), context)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe(
      // Both schemes the verifier accepts (DPoP mode 'allowed'), each naming the metadata.
      `Bearer resource_metadata="${METADATA}", DPoP resource_metadata="${METADATA}", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"`,
    )
  })

  it('refuses a malformed requirement when the route module loads', () => {
    expect(() => nextAuth.withAuth(() => Response.json({}), { maxAge: -1 })).toThrow(/maxAge/)
  })
})

describe('protectedResourceRoute (RFC 9728)', () => {
  it('answers GET, HEAD and OPTIONS for the route file at resource.metadataPath', async () => {
    const described = resource()
    expect(described.metadataPath).toBe('/.well-known/oauth-protected-resource/api/mcp')
    const { GET, HEAD, OPTIONS } = protectedResourceRoute(described)
    const document = GET(new Request(METADATA))
    expect(document.status).toBe(200)
    expect(await document.json()).toEqual({
      resource: 'https://app.example.com/api/mcp',
      authorization_servers: [idp.issuer],
      bearer_methods_supported: ['header'],
    })
    expect(HEAD(new Request(METADATA, { method: 'HEAD' })).status).toBe(200)
    expect(OPTIONS(new Request(METADATA, { method: 'OPTIONS' })).status).toBe(204)
  })
})
