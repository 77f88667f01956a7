import { KeysUnavailableError, RemoteResponseError } from '../errors.js'
import { fetchJson, type HttpOptions } from '../lib/fetch-json.js'
import { secureUrl } from '../lib/url.js'
import type { KeyLookup } from './key-source.js'
import {
  createRemoteJwks,
  type JwksSnapshot,
  type RemoteJwks,
  type RemoteJwksOptions,
} from './remote-jwks.js'

/** Authorization server metadata (RFC 8414) / OpenID Provider metadata; the fields the toolkit reads. */
export interface AuthorizationServerMetadata {
  issuer: string
  jwks_uri?: string
  authorization_endpoint?: string
  token_endpoint?: string
  userinfo_endpoint?: string
  revocation_endpoint?: string
  introspection_endpoint?: string
  end_session_endpoint?: string
  device_authorization_endpoint?: string
  pushed_authorization_request_endpoint?: string
  authorization_response_iss_parameter_supported?: boolean
  [field: string]: unknown
}

export interface DiscoveryOptions extends HttpOptions {
  /** Allow plain-http URLs on non-loopback hosts. Default: false. */
  allowInsecureRequests?: boolean
}

const MAX_METADATA_BYTES = 64 * 1024

/** The two well-known locations, in the order tried: OpenID Connect Discovery, then RFC 8414. */
export function discoveryUrls(issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/$/, '')
  return [
    `${issuer.origin}${path}/.well-known/openid-configuration`,
    `${issuer.origin}/.well-known/oauth-authorization-server${path}`,
  ]
}

/**
 * Fetches an issuer's metadata from `/.well-known/openid-configuration`, falling back to
 * `/.well-known/oauth-authorization-server` (RFC 8414 §3). The document's `issuer` must equal
 * the configured issuer exactly (RFC 8414 §3.3), which stops a metadata mix-up.
 */
export async function discoverIssuer(
  issuer: string,
  options: DiscoveryOptions = {},
): Promise<AuthorizationServerMetadata> {
  const issuerUrl = secureUrl(issuer, 'issuer', options.allowInsecureRequests)
  const http = { ...options, maxResponseBytes: options.maxResponseBytes ?? MAX_METADATA_BYTES }
  const errors: RemoteResponseError[] = []
  for (const url of discoveryUrls(issuerUrl)) {
    try {
      const { json } = await fetchJson(url, 'The discovery endpoint', http)
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new RemoteResponseError('ERR_DISCOVERY_INVALID', 'The discovery document is not a JSON object')
      }
      const metadata = json as AuthorizationServerMetadata
      if (metadata.issuer !== issuer) {
        throw new RemoteResponseError(
          'ERR_DISCOVERY_ISSUER_MISMATCH',
          'The discovery document names another issuer',
        )
      }
      return metadata
    } catch (error) {
      errors.push(error as RemoteResponseError)
      // An issuer mismatch is an answer, not an absence: do not try the other location.
      if ((error as RemoteResponseError).code === 'ERR_DISCOVERY_ISSUER_MISMATCH') break
    }
  }
  // Report what the issuer actually answered rather than the fallback's likely 404.
  throw errors.find((error) => error.code !== 'ERR_HTTP_STATUS') ?? errors[0]
}

export interface DiscoveredKeysOptions extends DiscoveryOptions, Omit<RemoteJwksOptions, 'snapshot'> {
  /** A snapshot from {@link DiscoveredKeys.export}: skips both discovery and the first JWKS fetch. */
  snapshot?: DiscoverySnapshot
}

export interface DiscoverySnapshot {
  metadata: AuthorizationServerMetadata
  jwks?: JwksSnapshot
}

export interface DiscoveredKeys extends KeyLookup {
  export(): DiscoverySnapshot | undefined
}

/** Keys found through issuer discovery: metadata is fetched once, then its `jwks_uri` is cached like any remote JWKS. */
export function discoveredKeys(issuer: string, options: DiscoveredKeysOptions = {}): DiscoveredKeys {
  secureUrl(issuer, 'issuer', options.allowInsecureRequests)
  const errorBackoff = options.errorBackoff ?? 5_000
  let metadata: AuthorizationServerMetadata | undefined
  let jwks: RemoteJwks | undefined
  let pending: Promise<RemoteJwks> | undefined
  let lastFailureAt = Number.NEGATIVE_INFINITY

  function fromMetadata(found: AuthorizationServerMetadata, snapshot?: JwksSnapshot): RemoteJwks {
    if (typeof found.jwks_uri !== 'string') {
      throw new RemoteResponseError('ERR_DISCOVERY_INVALID', 'The discovery document has no "jwks_uri"')
    }
    const { snapshot: _discoverySnapshot, ...remoteOptions } = options
    const remote = createRemoteJwks(found.jwks_uri, { ...remoteOptions, ...(snapshot ? { snapshot } : {}) })
    metadata = found
    jwks = remote
    return remote
  }
  if (options.snapshot !== undefined) fromMetadata(options.snapshot.metadata, options.snapshot.jwks)

  function remote(): Promise<RemoteJwks> {
    if (jwks !== undefined) return Promise.resolve(jwks)
    if (pending === undefined && Date.now() - lastFailureAt < errorBackoff) {
      return Promise.reject(
        new KeysUnavailableError(
          'ERR_DISCOVERY_FAILED',
          'Issuer discovery failed',
          Math.ceil(errorBackoff / 1000),
        ),
      )
    }
    pending ??= discoverIssuer(issuer, options)
      .then((found) => fromMetadata(found))
      .catch((cause: unknown) => {
        lastFailureAt = Date.now()
        throw new KeysUnavailableError(
          'ERR_DISCOVERY_FAILED',
          'Issuer discovery failed',
          Math.ceil(errorBackoff / 1000),
          { cause },
        )
      })
      .finally(() => {
        pending = undefined
      })
    return pending
  }

  return {
    async lookup(kid) {
      return (jwks ?? (await remote())).lookup(kid)
    },
    async ready() {
      await (await remote()).ready()
    },
    export() {
      return metadata === undefined
        ? undefined
        : { metadata, ...(jwks?.export() ? { jwks: jwks.export() } : {}) }
    },
  }
}
