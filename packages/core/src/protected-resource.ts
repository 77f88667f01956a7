/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the document an API publishes at
 * `/.well-known/oauth-protected-resource` so that a generic client (an MCP client, an agent)
 * learns which authorization servers issue tokens for it, which scopes exist and whether tokens
 * must be DPoP-bound; and the URL of that document, which every 401 challenge names in its
 * `resource_metadata` attribute (§5.1).
 */
import { ConfigurationError } from './errors.js'

const WELL_KNOWN = '/.well-known/oauth-protected-resource'
const BEARER_METHODS = new Set(['header', 'body', 'query'])
const DEFAULT_CACHE_SECONDS = 3600
/** The members this module writes from its own options (checked), which `extra` cannot set. */
const RESERVED_MEMBERS = new Set([
  'resource',
  'authorization_servers',
  'bearer_methods_supported',
  'scopes_supported',
  'dpop_signing_alg_values_supported',
  'dpop_bound_access_tokens_required',
  'resource_name',
  'resource_documentation',
  'resource_policy_uri',
  'resource_tos_uri',
])

export interface ProtectedResourceOptions {
  /**
   * The resource identifier: the API's absolute `https` URL (`http` on a loopback host, for
   * development), without query or fragment. Tokens for it carry it as `aud`. Required.
   */
  resource: string
  /** Issuer identifiers of the authorization servers whose tokens the API accepts. Required. */
  authorizationServers: readonly string[]
  /** Scopes the API uses (`scopes_supported`). Default: not published. */
  scopesSupported?: readonly string[]
  /** How tokens may be presented (`bearer_methods_supported`). Default: `['header']`. */
  bearerMethodsSupported?: readonly ('header' | 'body' | 'query')[]
  /** Whether every token must be DPoP-bound (`dpop_bound_access_tokens_required`). Default: false. */
  dpopRequired?: boolean
  /** DPoP proof algorithms accepted (`dpop_signing_alg_values_supported`). Default: not published. */
  dpopSigningAlgValuesSupported?: readonly string[]
  /** A human-readable name (`resource_name`). Default: none. */
  resourceName?: string
  /** A page for developers (`resource_documentation`). Default: none. */
  resourceDocumentation?: string
  /** The API's data policy (`resource_policy_uri`). Default: none. */
  resourcePolicyUri?: string
  /** The API's terms of service (`resource_tos_uri`). Default: none. */
  resourceTosUri?: string
  /** Further metadata members (RFC 9728 §2 extensions); they cannot replace the ones above. */
  extra?: Readonly<Record<string, unknown>>
  /** `max-age` of the document's `Cache-Control`, in seconds. Default: 3600. */
  cacheSeconds?: number
}

export interface ProtectedResource {
  /** The resource identifier, exactly as configured (what clients compare, §3.3). */
  readonly resource: string
  /** The metadata document (frozen). */
  readonly metadata: Readonly<Record<string, unknown>>
  /** Where the document is served: `/.well-known/oauth-protected-resource` + the resource's path. */
  readonly metadataPath: string
  /** The document's absolute URL: the `resource_metadata` of every challenge. */
  readonly metadataUrl: string
  /** The answer to a request for the document: 200 JSON on GET/HEAD, 204 to a CORS preflight, else 405. */
  describe(method: string): { status: number; headers: Record<string, string>; body: string }
  /** {@link describe} as a Web `Response` (Hono, Next.js route handlers, Workers). */
  handle(request: Request): Response
}

function absoluteUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
    throw new ConfigurationError(`"${name}" must be an absolute URL`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigurationError(`"${name}" must be an absolute URL`)
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigurationError(`"${name}" must use https (http only on a loopback host)`)
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '' || value.includes('#')) {
    throw new ConfigurationError(`"${name}" must have no credentials and no fragment`)
  }
  return url
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new ConfigurationError(`"${name}" must be a list of non-empty strings`)
  }
  return [...value]
}

/**
 * The path of the metadata document for a resource identifier (§3.1): the well-known path is
 * inserted between the host and the resource's path, a lone `/` path being dropped.
 */
function metadataPathOf(resource: URL): string {
  return resource.pathname === '/' ? WELL_KNOWN : `${WELL_KNOWN}${resource.pathname}`
}

function documentOf(options: ProtectedResourceOptions, resource: string): Record<string, unknown> {
  const authorizationServers = stringList(options.authorizationServers, 'authorizationServers')
  if (authorizationServers.length === 0) {
    throw new ConfigurationError('"authorizationServers" must name at least one issuer')
  }
  for (const issuer of authorizationServers) absoluteUrl(issuer, 'authorizationServers')
  const bearerMethods = stringList(options.bearerMethodsSupported ?? ['header'], 'bearerMethodsSupported')
  if (bearerMethods.some((method) => !BEARER_METHODS.has(method))) {
    throw new ConfigurationError('"bearerMethodsSupported" holds only header, body or query')
  }
  for (const member of Object.keys(options.extra ?? {})) {
    if (RESERVED_MEMBERS.has(member)) {
      throw new ConfigurationError(`"extra" cannot set "${member}": use its own option`)
    }
  }
  const document: Record<string, unknown> = {
    ...options.extra,
    resource,
    authorization_servers: authorizationServers,
    bearer_methods_supported: bearerMethods,
  }
  if (options.scopesSupported !== undefined) {
    document['scopes_supported'] = stringList(options.scopesSupported, 'scopesSupported')
  }
  if (options.dpopSigningAlgValuesSupported !== undefined) {
    const algorithms = stringList(options.dpopSigningAlgValuesSupported, 'dpopSigningAlgValuesSupported')
    if (algorithms.some((alg) => alg === 'none' || alg.startsWith('HS'))) {
      throw new ConfigurationError('DPoP proofs are signed with asymmetric algorithms only')
    }
    document['dpop_signing_alg_values_supported'] = algorithms
  }
  if (options.dpopRequired !== undefined) {
    if (typeof options.dpopRequired !== 'boolean')
      throw new ConfigurationError('"dpopRequired" must be a boolean')
    document['dpop_bound_access_tokens_required'] = options.dpopRequired
  }
  if (options.resourceName !== undefined) {
    if (typeof options.resourceName !== 'string')
      throw new ConfigurationError('"resourceName" must be a string')
    document['resource_name'] = options.resourceName
  }
  const links = [
    ['resourceDocumentation', 'resource_documentation'],
    ['resourcePolicyUri', 'resource_policy_uri'],
    ['resourceTosUri', 'resource_tos_uri'],
  ] as const
  for (const [option, member] of links) {
    const value = options[option]
    if (value !== undefined) document[member] = absoluteUrl(value, option).href
  }
  return document
}

/**
 * Describes a protected resource (RFC 9728). Serve {@link ProtectedResource.handle} (or an
 * adapter's helper) at {@link ProtectedResource.metadataPath}, and give the resource to the
 * adapter's error answers so every challenge carries `resource_metadata`. Throws
 * {@link ConfigurationError} on invalid options, at start-up.
 */
export function protectedResource(options: ProtectedResourceOptions): ProtectedResource {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('protectedResource() takes { resource, authorizationServers, … }')
  }
  const url = absoluteUrl(options.resource, 'resource')
  if (url.search !== '' || options.resource.includes('?')) {
    throw new ConfigurationError('"resource" must have no query')
  }
  const resource = options.resource
  const cacheSeconds = options.cacheSeconds ?? DEFAULT_CACHE_SECONDS
  if (!Number.isInteger(cacheSeconds) || cacheSeconds < 0) {
    throw new ConfigurationError('"cacheSeconds" must be a non-negative whole number')
  }
  const metadata = Object.freeze(documentOf(options, resource))
  const metadataPath = metadataPathOf(url)
  const body = JSON.stringify(metadata)
  // Public and read by browser-based clients (MCP inspectors, SPAs): any origin may read it.
  const cors = { 'access-control-allow-origin': '*' }
  const ok = {
    ...cors,
    'content-type': 'application/json',
    'cache-control': cacheSeconds === 0 ? 'no-cache' : `public, max-age=${cacheSeconds}`,
  }

  function describe(method: string): { status: number; headers: Record<string, string>; body: string } {
    if (method === 'GET' || method === 'HEAD') return { status: 200, headers: { ...ok }, body }
    if (method === 'OPTIONS') {
      return {
        status: 204,
        headers: {
          ...cors,
          'access-control-allow-methods': 'GET, HEAD, OPTIONS',
          allow: 'GET, HEAD, OPTIONS',
        },
        body: '',
      }
    }
    return { status: 405, headers: { allow: 'GET, HEAD, OPTIONS' }, body: '' }
  }

  return Object.freeze({
    resource,
    metadata,
    metadataPath,
    metadataUrl: `${url.origin}${metadataPath}`,
    describe,
    handle(request: Request): Response {
      const parts = describe(request.method)
      const content = parts.body === '' || request.method === 'HEAD' ? null : parts.body
      return new Response(content, { status: parts.status, headers: parts.headers })
    },
  })
}
