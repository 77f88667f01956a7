/**
 * The token server's options, checked once at creation: a misconfiguration is a
 * `ConfigurationError` at start-up, never a failed request later.
 */
import {
  ConfigurationError,
  MemoryOneTimeStore,
  MemoryRateLimitStore,
  type OneTimeStore,
  type RateLimitStore,
} from '@org/auth-core'
import type { ClientRegistry } from '../clients/registry.js'
import type { SigningKeySource } from '../keys/signing-key-source.js'
import { type ResolvedDpop, resolveDpop, type TokenServerDpopOptions } from './dpop.js'
import { createMemoryRevocationStore, type RevocationStore } from './revocation-store.js'

export interface TokenServerLimits {
  /**
   * Failed authentications of one `client_id` per window; later failures are answered 429, but
   * right credentials still pass (a client id is public: a lock would let anyone shut it out).
   * Default: 10.
   */
  perClient?: number
  /**
   * Failed authentications from one address per window (with `clientAddress`); then everything
   * from it is answered 429, unverified, until the window ends. Default: 50.
   */
  perAddress?: number
  /** The window in seconds (fixed, opened by the first failure). Default: 300. */
  windowSeconds?: number
}

export interface TokenServerOptions {
  /**
   * The issuer identifier (RFC 8414 §2): an `https` URL, or `http` on a loopback host, without
   * query or fragment. Endpoints live under its path: `<issuer>/token`, `<issuer>/jwks.json`, and
   * the metadata at `/.well-known/oauth-authorization-server<issuer path>`. Required.
   */
  issuer: string
  /** Where clients and their hashed secrets are (`createClientRegistry`). Required. */
  clients: ClientRegistry
  /** The key that signs and the keys to publish (`staticSigningKeys` or the key store). Required. */
  keys: SigningKeySource
  /** Lifetime of an access token in seconds, 1 to 86,400. Default: 300. */
  accessTokenTtl?: number
  /**
   * Counters of failed client authentications. Default: a `MemoryRateLimitStore` (this process
   * only); give every instance the same shared store (Redis, PostgreSQL) when there are several.
   */
  rateLimit?: RateLimitStore
  /** Throttling of failed client authentications. Defaults as documented on each field. */
  limits?: TokenServerLimits
  /**
   * The used `jti` of `private_key_jwt` client assertions, each kept until the assertion expires
   * (at most 5½ minutes): an assertion authenticates once. Default: a `MemoryOneTimeStore` (this
   * process only, failing closed when full); several instances must share one store (Redis,
   * PostgreSQL), or an assertion refused by one is accepted by another.
   */
  replayStore?: OneTimeStore
  /**
   * The address of the caller, for the per-address throttle. A Web `Request` does not carry it, so
   * the application supplies it: the socket's address (Node: `env.incoming.socket.remoteAddress`
   * with `@hono/node-server`), or behind proxies the address its own trusted proxy reports (never a
   * raw `X-Forwarded-For` a client can forge). Default: none, and only the per-client throttle applies.
   */
  clientAddress?: (request: Request) => string | undefined
  /**
   * Also accept a `private_key_jwt` assertion whose `aud` is the token endpoint's URL, for clients
   * written to RFC 7523's first wording. Without it `aud` must be the issuer identifier alone, as
   * a string (draft-ietf-oauth-rfc7523bis; what openid-client sends): an assertion made for several
   * audiences, or for an endpoint URL another server also claims, is refused. Default: false.
   */
  acceptTokenEndpointAudience?: boolean
  /** Largest accepted request body in bytes. Default: 8192. */
  maxBodyBytes?: number
  /**
   * Where revoked tokens (`<issuer>/revoke`, RFC 7009) are remembered until they expire, read by
   * introspection and by verifiers given the same store. Default: a `createMemoryRevocationStore()`
   * (this process only, lost on restart); give every instance one shared store
   * (`PostgresRevocationStore`) when there are several.
   */
  revocations?: RevocationStore
  /**
   * DPoP (RFC 9449): a token request with a `DPoP` proof gets a token bound to its key
   * (`cnf.jkt`, `token_type: DPoP`); the proof's `jti` is spent in `replayStore`. Default:
   * `{ mode: 'allowed' }` (proofs honoured, not required).
   */
  dpop?: TokenServerDpopOptions
  /** Current time in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

export interface ResolvedTokenServer {
  dpop: ResolvedDpop
  acceptTokenEndpointAudience: boolean
  issuer: string
  /** The issuer's path without a trailing slash ('' at the root). */
  basePath: string
  /** Each endpoint's path, made once. */
  paths: ReturnType<typeof routePaths>
  clients: ClientRegistry
  keys: SigningKeySource
  accessTokenTtl: number
  rateLimit: RateLimitStore
  replayStore: OneTimeStore
  perClient: number
  perAddress: number
  windowSeconds: number
  maxBodyBytes: number
  revocations: RevocationStore
  now: () => number
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

function positiveInteger(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ConfigurationError(`"${name}" must be a whole number from 1 to ${max}`)
  }
  return value
}

function checkIssuer(value: unknown): URL {
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    throw new ConfigurationError('"issuer" must be an absolute URL')
  }
  if (
    typeof value !== 'string' ||
    url.search !== '' ||
    url.hash !== '' ||
    value.includes('?') ||
    value.includes('#')
  ) {
    throw new ConfigurationError('"issuer" must be a URL without query or fragment')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new ConfigurationError('"issuer" must use https (http only on a loopback host)')
  }
  return url
}

const METADATA_PATH = '/.well-known/oauth-authorization-server'

/** The paths the endpoints answer, under the issuer's path (RFC 8414 §3.1 for the metadata). */
function routePaths(basePath: string) {
  return {
    token: `${basePath}/token`,
    introspect: `${basePath}/introspect`,
    revoke: `${basePath}/revoke`,
    jwks: `${basePath}/jwks.json`,
    metadata: `${METADATA_PATH}${basePath}`,
  } as const
}

/**
 * Checks the options of either transport; `clientAddress` is checked here but read by the
 * transport, since it takes the transport's own request.
 */
export function resolveOptions(
  options: Omit<TokenServerOptions, 'clientAddress'> & { clientAddress?: unknown },
): ResolvedTokenServer {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createTokenServer() takes an options object')
  }
  const url = checkIssuer(options.issuer)
  if (
    typeof options.clients?.verifySecret !== 'function' ||
    typeof options.clients.assertionClient !== 'function'
  ) {
    throw new ConfigurationError('"clients" must be a client registry (createClientRegistry)')
  }
  if (typeof options.keys?.signingKey !== 'function' || typeof options.keys.publicJwks !== 'function') {
    throw new ConfigurationError('"keys" must be a SigningKeySource')
  }
  if (options.replayStore !== undefined && typeof options.replayStore?.consume !== 'function') {
    throw new ConfigurationError('"replayStore" must be a OneTimeStore')
  }
  if (options.clientAddress !== undefined && typeof options.clientAddress !== 'function') {
    throw new ConfigurationError('"clientAddress" must be a function of the request')
  }
  const revocations = options.revocations
  if (
    revocations !== undefined &&
    (typeof revocations?.revoke !== 'function' || typeof revocations.isRevoked !== 'function')
  ) {
    throw new ConfigurationError('"revocations" must be a RevocationStore')
  }
  const limits = options.limits ?? {}
  const basePath = url.pathname.replace(/\/+$/, '')
  return {
    // The identifier exactly as configured but without a trailing slash, as RFC 8414 compares it.
    issuer: `${url.origin}${basePath}`,
    basePath,
    paths: routePaths(basePath),
    clients: options.clients,
    keys: options.keys,
    accessTokenTtl: positiveInteger(options.accessTokenTtl, 'accessTokenTtl', 300, 86_400),
    rateLimit: options.rateLimit ?? new MemoryRateLimitStore(options.now ? { now: options.now } : {}),
    replayStore: options.replayStore ?? new MemoryOneTimeStore(options.now ? { now: options.now } : {}),
    perClient: positiveInteger(limits.perClient, 'limits.perClient', 10, 1_000_000),
    perAddress: positiveInteger(limits.perAddress, 'limits.perAddress', 50, 1_000_000),
    windowSeconds: positiveInteger(limits.windowSeconds, 'limits.windowSeconds', 300, 86_400),
    maxBodyBytes: positiveInteger(options.maxBodyBytes, 'maxBodyBytes', 8192, 1_048_576),
    acceptTokenEndpointAudience: options.acceptTokenEndpointAudience === true,
    dpop: resolveDpop(options.dpop),
    revocations: options.revocations ?? createMemoryRevocationStore(options.now ? { now: options.now } : {}),
    now: options.now ?? Date.now,
  }
}
