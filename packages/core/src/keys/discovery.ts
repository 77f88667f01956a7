import { KeysUnavailableError, RemoteResponseError } from '../errors.js'
import { fetchJson, type HttpOptions } from '../lib/fetch-json.js'
import { refreshInterval, statedFreshness } from '../lib/freshness.js'
import { secureUrl } from '../lib/url.js'
import type { KeyLookup } from './key-source.js'
import {
  createRemoteJwks,
  type JwksSnapshot,
  milliseconds,
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

/** Metadata and how long its endpoint said it stays fresh (`undefined`: not said). */
interface FetchedMetadata {
  metadata: AuthorizationServerMetadata
  statedFreshness: number | undefined
}

async function fetchMetadata(issuer: string, options: DiscoveryOptions): Promise<FetchedMetadata> {
  const issuerUrl = secureUrl(issuer, 'issuer', options.allowInsecureRequests)
  const http = { ...options, maxResponseBytes: options.maxResponseBytes ?? MAX_METADATA_BYTES }
  const errors: RemoteResponseError[] = []
  for (const url of discoveryUrls(issuerUrl)) {
    try {
      const { json, response } = await fetchJson(url, 'The discovery endpoint', http)
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new RemoteResponseError('ERR_DISCOVERY_INVALID', 'The discovery document is not a JSON object')
      }
      const metadata = json as AuthorizationServerMetadata
      if (metadata.issuer !== issuer) {
        // Both values, so the log says what to fix (often a trailing slash); the remote one bounded.
        // A non-string (an object whose toString is hostile) is named by its type, never converted.
        const announced = metadata.issuer as unknown
        const named =
          typeof announced === 'string'
            ? JSON.stringify(announced.slice(0, 200).replace(/[^\x20-\x7E]/g, '?'))
            : `of type ${announced === null ? 'null' : Array.isArray(announced) ? 'array' : typeof announced}`
        throw new RemoteResponseError(
          'ERR_DISCOVERY_ISSUER_MISMATCH',
          `The discovery document names the issuer ${named}, not the configured ${JSON.stringify(issuer)} (compared exactly, a trailing slash included)`,
        )
      }
      return { metadata, statedFreshness: statedFreshness(response.headers) }
    } catch (error) {
      errors.push(error as RemoteResponseError)
      // An issuer mismatch is an answer, not an absence: do not try the other location.
      if ((error as RemoteResponseError).code === 'ERR_DISCOVERY_ISSUER_MISMATCH') break
    }
  }
  // Report what the issuer actually answered rather than the fallback's likely 404.
  throw errors.find((error) => error.code !== 'ERR_HTTP_STATUS') ?? errors[0]
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
  return (await fetchMetadata(issuer, options)).metadata
}

export interface DiscoveredKeysOptions extends DiscoveryOptions, Omit<RemoteJwksOptions, 'snapshot'> {
  /**
   * Longest milliseconds the discovered metadata is used before it is fetched again, in the
   * background (a moved `jwks_uri` is then followed). The discovery endpoint's `Cache-Control`
   * shortens it, down to `minAge`. Default: 86400000 (24 h).
   */
  metadataMaxAge?: number
  /** A snapshot from {@link DiscoveredKeys.export}: skips both discovery and the first JWKS fetch. */
  snapshot?: DiscoverySnapshot
}

export interface DiscoverySnapshot {
  metadata: AuthorizationServerMetadata
  /** Epoch milliseconds of the discovery the metadata came from (absent: treated as due now). */
  fetchedAt?: number
  /** Milliseconds the metadata was fresh for after `fetchedAt`. */
  freshFor?: number
  jwks?: JwksSnapshot
}

export interface DiscoveredKeys extends KeyLookup {
  export(): DiscoverySnapshot | undefined
}

/** Whether a metadata `jwks_uri` names the key set already held (whose URI is normalised). */
function sameUrl(held: string, announced: unknown): boolean {
  if (typeof announced !== 'string' || !URL.canParse(announced)) return false
  return new URL(announced).href === held
}

/** The 503 of a failed discovery; its message names the cause (logs only: clients get a generic text). */
function discoveryFailed(cause: unknown, retryAfter: number): KeysUnavailableError {
  const reason = cause instanceof Error ? `: ${cause.message}` : ''
  return new KeysUnavailableError('ERR_DISCOVERY_FAILED', `Issuer discovery failed${reason}`, retryAfter, {
    cause,
  })
}

/** What discovery currently holds: the metadata and the key set of its `jwks_uri`. */
interface Discovered {
  metadata: AuthorizationServerMetadata
  jwks: RemoteJwks
  fetchedAt: number
  freshFor: number
}

/**
 * Keys found through issuer discovery: the metadata is fetched on first use and again once stale
 * (in the background, the current keys serving meanwhile); its `jwks_uri` is cached like any
 * remote JWKS. When the `jwks_uri` moves, the new set is loaded before it replaces the old one.
 */
export function discoveredKeys(issuer: string, options: DiscoveredKeysOptions = {}): DiscoveredKeys {
  secureUrl(issuer, 'issuer', options.allowInsecureRequests)
  const errorBackoff = milliseconds(options.errorBackoff, 5_000, 'errorBackoff')
  const metadataMaxAge = milliseconds(options.metadataMaxAge, 86_400_000, 'metadataMaxAge')
  const minAge = Math.min(metadataMaxAge, milliseconds(options.minAge, 60_000, 'minAge'))
  const { snapshot: _discoverySnapshot, metadataMaxAge: _maxAge, ...remoteOptions } = options
  let current: Discovered | undefined
  let pending: Promise<Discovered> | undefined
  let lastFailureAt = Number.NEGATIVE_INFINITY
  /** What the last discovery failed with: every refusal during the backoff carries it too. */
  let lastFailure: unknown

  function jwksFor(metadata: AuthorizationServerMetadata, snapshot?: JwksSnapshot): RemoteJwks {
    if (typeof metadata.jwks_uri !== 'string') {
      throw new RemoteResponseError('ERR_DISCOVERY_INVALID', 'The discovery document has no "jwks_uri"')
    }
    return createRemoteJwks(metadata.jwks_uri, { ...remoteOptions, ...(snapshot ? { snapshot } : {}) })
  }
  if (options.snapshot !== undefined) {
    const { metadata, jwks, fetchedAt, freshFor } = options.snapshot
    current = {
      metadata,
      jwks: jwksFor(metadata, jwks),
      fetchedAt: fetchedAt ?? Number.NEGATIVE_INFINITY,
      freshFor: refreshInterval(freshFor, minAge, metadataMaxAge),
    }
  }

  async function rediscover(): Promise<Discovered> {
    const found = await fetchMetadata(issuer, options)
    const previous = current
    let jwks: RemoteJwks
    if (previous !== undefined && sameUrl(previous.jwks.uri, found.metadata.jwks_uri)) {
      jwks = previous.jwks // Same key set: keep its cache.
    } else {
      jwks = jwksFor(found.metadata)
      // Keys are served from the old set until the new one has loaded.
      if (previous !== undefined) await jwks.ready()
    }
    const freshFor = refreshInterval(found.statedFreshness, minAge, metadataMaxAge)
    current = { metadata: found.metadata, jwks, fetchedAt: Date.now(), freshFor }
    return current
  }

  function discover(): Promise<Discovered> {
    pending ??= rediscover()
      .catch((cause: unknown) => {
        lastFailureAt = Date.now()
        lastFailure = cause
        throw discoveryFailed(cause, Math.ceil(errorBackoff / 1000))
      })
      .finally(() => {
        pending = undefined
      })
    return pending
  }

  function held(): Discovered | Promise<Discovered> {
    const now = Date.now()
    const idle = pending === undefined && now - lastFailureAt >= errorBackoff
    if (current === undefined) {
      if (!idle && pending === undefined) {
        const wait = Math.max(1, Math.ceil((lastFailureAt + errorBackoff - now) / 1000))
        return Promise.reject(discoveryFailed(lastFailure, wait))
      }
      return discover()
    }
    // Stale metadata keeps serving; a failed re-discovery keeps it and waits errorBackoff to retry.
    if (idle && now - current.fetchedAt > current.freshFor) discover().catch(() => {})
    return current
  }

  return {
    async lookup(kid) {
      return (await held()).jwks.lookup(kid)
    },
    async ready() {
      await (await held()).jwks.ready()
    },
    current: () => current?.jwks.current() ?? [],
    export() {
      if (current === undefined) return undefined
      const { metadata, fetchedAt, freshFor } = current
      const jwks = current.jwks.export()
      return { metadata, fetchedAt, freshFor, ...(jwks ? { jwks } : {}) }
    },
  }
}
