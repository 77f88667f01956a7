import { describe, expect, it } from 'vitest'
import { ConfigurationError, describeAuthError, MissingTokenError, protectedResource } from '../src/index.js'

const AS = 'https://login.example.com'

describe('protectedResource (RFC 9728)', () => {
  it('inserts the well-known path between the host and the resource path (§3.1)', () => {
    const cases: [string, string][] = [
      ['https://api.example.com', '/.well-known/oauth-protected-resource'],
      ['https://api.example.com/', '/.well-known/oauth-protected-resource'],
      ['https://api.example.com/mcp', '/.well-known/oauth-protected-resource/mcp'],
      ['https://api.example.com/v1/mcp/', '/.well-known/oauth-protected-resource/v1/mcp/'],
      ['http://127.0.0.1:3000/api', '/.well-known/oauth-protected-resource/api'],
    ]
    for (const [resource, path] of cases) {
      const described = protectedResource({ resource, authorizationServers: [AS] })
      expect(described.metadataPath, resource).toBe(path)
      expect(described.metadataUrl).toBe(`${new URL(resource).origin}${path}`)
      // The document names the resource exactly as configured: clients compare it (§3.3).
      expect(described.metadata['resource']).toBe(resource)
    }
  })

  it('publishes the options as RFC 9728 members, with bearer_methods_supported defaulting to header', () => {
    const described = protectedResource({
      resource: 'https://api.example.com/mcp',
      authorizationServers: [AS, 'https://other.example.com/tenant'],
      scopesSupported: ['read', 'write'],
      dpopRequired: true,
      dpopSigningAlgValuesSupported: ['ES256', 'EdDSA'],
      resourceName: 'Notes API',
      resourceDocumentation: 'https://docs.example.com/api',
      extra: { mcp_version: '2025-06-18' },
    })
    expect(described.metadata).toEqual({
      resource: 'https://api.example.com/mcp',
      authorization_servers: [AS, 'https://other.example.com/tenant'],
      bearer_methods_supported: ['header'],
      scopes_supported: ['read', 'write'],
      dpop_bound_access_tokens_required: true,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      resource_name: 'Notes API',
      resource_documentation: 'https://docs.example.com/api',
      mcp_version: '2025-06-18',
    })
    expect(Object.isFrozen(described.metadata)).toBe(true)
  })

  it.each([
    [{ resource: 'http://api.example.com', authorizationServers: [AS] }, /https/],
    [{ resource: 'https://api.example.com/x?tenant=1', authorizationServers: [AS] }, /query/],
    [{ resource: 'https://api.example.com/#frag', authorizationServers: [AS] }, /fragment/],
    [{ resource: 'https://user:pw@api.example.com', authorizationServers: [AS] }, /credentials/],
    [{ resource: 'api.example.com', authorizationServers: [AS] }, /absolute/],
    [{ resource: 'https://api.example.com', authorizationServers: [] }, /at least one/],
    [{ resource: 'https://api.example.com', authorizationServers: ['not a url'] }, /absolute/],
    [
      { resource: 'https://api.example.com', authorizationServers: [AS], bearerMethodsSupported: ['cookie'] },
      /header/,
    ],
    [
      {
        resource: 'https://api.example.com',
        authorizationServers: [AS],
        dpopSigningAlgValuesSupported: ['HS256'],
      },
      /asymmetric/,
    ],
    [
      {
        resource: 'https://api.example.com',
        authorizationServers: [AS],
        extra: { resource: 'https://evil' },
      },
      /extra/,
    ],
    [{ resource: 'https://api.example.com', authorizationServers: [AS], cacheSeconds: -1 }, /cacheSeconds/],
  ])('refuses invalid options at start-up (%#)', (options, message) => {
    expect(() => protectedResource(options as never)).toThrow(ConfigurationError)
    expect(() => protectedResource(options as never)).toThrow(message)
  })

  it('serves the document on GET and HEAD, answers a CORS preflight, and 405 to anything else', async () => {
    const described = protectedResource({
      resource: 'https://api.example.com/mcp',
      authorizationServers: [AS],
    })
    const get = described.handle(new Request(`https://api.example.com${described.metadataPath}`))
    expect(get.status).toBe(200)
    expect(get.headers.get('content-type')).toBe('application/json')
    expect(get.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(get.headers.get('access-control-allow-origin')).toBe('*')
    expect(await get.json()).toEqual(described.metadata)
    const head = described.handle(new Request('https://api.example.com/x', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const preflight = described.handle(new Request('https://api.example.com/x', { method: 'OPTIONS' }))
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS')
    const post = described.handle(new Request('https://api.example.com/x', { method: 'POST' }))
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
  })

  it('every challenge names the metadata URL in resource_metadata (§5.1)', () => {
    const { metadataUrl } = protectedResource({
      resource: 'https://api.example.com/mcp',
      authorizationServers: [AS],
    })
    const answer = describeAuthError(new MissingTokenError(), { resourceMetadata: metadataUrl })
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"',
    )
  })
})
