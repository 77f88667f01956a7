import type { JWK } from 'jose'
import type { DpopOptions } from '../dpop/policy.js'
import { ConfigurationError } from '../errors.js'
import type { SignatureAlgorithm } from '../keys/algorithms.js'
import type { DiscoveredKeysOptions } from '../keys/discovery.js'
import type { JSONWebKeySet, PublicKeyInput } from '../keys/public-key.js'
import type { RemoteJwks, RemoteJwksOptions } from '../keys/remote-jwks.js'
import type { WarningHandler } from '../lib/warn-once.js'
import type { JWTClaims } from './claims.js'

/**
 * Which kind of JWT a verifier accepts: `access` (RFC 9068, `typ: at+jwt`), `untyped-access`
 * (an access token from an issuer that does not type them: no ID token), `id`, or `any`.
 */
export type TokenType = 'access' | 'untyped-access' | 'id' | 'any'

export interface TokenCacheOptions {
  /** Most verified tokens kept. Default: 1000. */
  maxEntries?: number
}

/**
 * A revocation check consulted after every other check passed, also for tokens served from the
 * token cache. For a token server sharing its store: `{ isRevoked: (claims) =>
 * store.isRevoked(claims.jti as string) }`.
 */
export interface RevocationCheckOptions {
  /**
   * Whether the token (its verified claims; the `jti` identifies it) has been revoked. `true`
   * refuses it (401 `invalid_token`, `ERR_JWT_REVOKED`); a throw, a rejection or a non-boolean
   * answer refuses it too, as 503 `ERR_REVOCATION_UNAVAILABLE` (fail closed). Required.
   */
  isRevoked(claims: JWTClaims): boolean | Promise<boolean>
  /**
   * How long a "not revoked" answer is reused for the same `jti`, in seconds (0–3600; 0 asks on
   * every request). The trade-off: a token revoked meanwhile still passes for up to this long,
   * in exchange for one lookup per token per period instead of one per request. A "revoked"
   * answer is kept until the token expires. Default: 30.
   */
  cacheSeconds?: number
}

export interface TokenVerifierOptions {
  /** Expected `iss`, compared exactly (no trailing-slash folding). Required. */
  issuer: string
  /** Accepted audience(s): the token's `aud` must contain one of them. Required. */
  audience: string | readonly string[]
  /**
   * A JWKS: its URL (string or `URL`), a JWKS object, or a {@link RemoteJwks} shared between
   * verifiers. One of `jwks`, `publicKey` or `discovery` is required.
   */
  jwks?: string | URL | JSONWebKeySet | RemoteJwks
  /** A single public key: PEM (`PUBLIC KEY` or `CERTIFICATE`) or a JWK (object or JSON string). */
  publicKey?: PublicKeyInput | JWK
  /**
   * Find the JWKS through the issuer's metadata (`/.well-known/openid-configuration`, then
   * `/.well-known/oauth-authorization-server`). `true` uses default options.
   */
  discovery?: boolean | DiscoveredKeysOptions
  /** Cache and network options for a `jwks` URL (discovery takes its own in `discovery`). */
  remote?: RemoteJwksOptions
  /**
   * Accepted signature algorithms, intersected with what each key can verify.
   * Default: every supported asymmetric algorithm (RS*, PS*, ES*, EdDSA). HMAC and `none` are never accepted.
   */
  algorithms?: readonly SignatureAlgorithm[]
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (0–600). Default: 5. */
  leeway?: number
  /**
   * Which tokens pass, so that an ID token is never taken for an access token (RFC 9068 §4,
   * RFC 8725 §3.11):
   * - `'access'` requires the RFC 9068 header `typ: at+jwt` (or `application/at+jwt`);
   * - `'untyped-access'`, for issuers that do not type their access tokens (Keycloak, Entra ID,
   *   Okta, Cognito...): `typ` absent, `JWT` or `at+jwt`, and no claim only ID tokens carry
   *   (`nonce`, `at_hash`, `c_hash`, `s_hash`, Keycloak's `typ: "ID"`, Cognito's `token_use: "id"`). Weaker: an ID token with
   *   none of those passes; prefer `access` where the issuer can type its tokens;
   * - `'id'` refuses `at+jwt` and requires the OpenID Connect ID-token claims (`sub`, `iat`, `exp`);
   * - `'any'` checks nothing (the explicit opt-out).
   * Default: `'access'`.
   */
  tokenType?: TokenType
  /** Claims that must be present. Default: `['exp']` (a token that never expires is refused). */
  requiredClaims?: readonly string[]
  /** Maximum age in seconds measured from `iat` (which then becomes required). Default: none. */
  maxTokenAge?: number
  /** Longest token accepted, checked before any parsing. Default: 8192 characters. */
  maxTokenLength?: number
  /**
   * Cache of verified tokens, keyed by the token string; an entry never outlives the token's
   * `exp`. `false` turns it off. Default: on, 1000 entries.
   */
  cache?: false | TokenCacheOptions
  /**
   * Told when verification keys cannot be had (an unreachable or misconfigured issuer, a trailing
   * slash, a JWKS endpoint that fails), while every request needing a key is answered 503 with a
   * generic text: once per distinct cause, and again after a recovery. The message names the
   * values to compare (the issuer announced and the one configured, the URL that failed); the
   * error has the whole `cause` chain. `false` silences it. Default: `console.warn`. For a
   * fail-fast start, `await verifier.ready()`: it rejects with the same error.
   */
  onWarning?: false | WarningHandler
  /**
   * Refuse revoked tokens: see {@link RevocationCheckOptions}. A token without a `jti` is then
   * refused (401 `ERR_JWT_CLAIM_MISSING`, claim `jti`): nothing could ever revoke it. Default:
   * none (a token is valid until it expires).
   */
  revocation?: RevocationCheckOptions
  /**
   * DPoP (RFC 9449) for tokens this verifier checks through `authenticate` (every adapter): see
   * {@link DpopOptions}. Default: mode `'allowed'`, every supported asymmetric algorithm, proofs
   * up to 60 s old (5 s clock skew), `jti`s in a memory store, no server nonce.
   */
  dpop?: DpopOptions
  /**
   * The clock, in epoch milliseconds, that `exp`, `nbf`, `iat` and the cache are judged by (a
   * server with a clock of its own, or a test). Default: `Date.now`.
   */
  now?: () => number
}

const KNOWN_OPTIONS = new Set([
  'issuer',
  'audience',
  'jwks',
  'publicKey',
  'discovery',
  'remote',
  'algorithms',
  'leeway',
  'tokenType',
  'requiredClaims',
  'maxTokenAge',
  'maxTokenLength',
  'cache',
  'onWarning',
  'now',
  'revocation',
  'dpop',
])

const TOKEN_TYPES = new Set<unknown>(['access', 'untyped-access', 'id', 'any'])

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0
}

/** Rejects misspelt, missing or out-of-range options when the verifier is created. */
export function checkVerifierOptions(options: TokenVerifierOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ConfigurationError('Verifier options are required')
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigurationError(`Unknown verifier option "${key}"`)
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new ConfigurationError('"issuer" is required: the exact "iss" your tokens carry')
  }
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience
  if (
    !Array.isArray(audiences) ||
    audiences.length === 0 ||
    !audiences.every((a) => typeof a === 'string' && a)
  ) {
    throw new ConfigurationError('"audience" is required: a non-empty string or array of strings')
  }
  const sources = [options.jwks, options.publicKey, options.discovery].filter(
    (s) => s !== undefined && s !== false,
  )
  if (sources.length !== 1)
    throw new ConfigurationError('Exactly one of "jwks", "publicKey" or "discovery" is required')
  const { leeway, maxTokenAge, maxTokenLength, tokenType, requiredClaims, cache } = options
  if (leeway !== undefined && !(typeof leeway === 'number' && leeway >= 0 && leeway <= 600)) {
    throw new ConfigurationError('"leeway" must be a number of seconds between 0 and 600')
  }
  if (maxTokenAge !== undefined && !isCount(maxTokenAge))
    throw new ConfigurationError('"maxTokenAge" must be a positive integer of seconds')
  if (maxTokenLength !== undefined && !isCount(maxTokenLength))
    throw new ConfigurationError('"maxTokenLength" must be a positive integer')
  if (tokenType !== undefined && !TOKEN_TYPES.has(tokenType)) {
    throw new ConfigurationError('"tokenType" must be "access", "untyped-access", "id" or "any"')
  }
  if (
    requiredClaims !== undefined &&
    !(Array.isArray(requiredClaims) && requiredClaims.every((c) => typeof c === 'string'))
  ) {
    throw new ConfigurationError('"requiredClaims" must be an array of claim names')
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new ConfigurationError('"now" must be a function returning epoch milliseconds')
  }
  const onWarning: unknown = options.onWarning
  if (onWarning !== undefined && onWarning !== false && typeof onWarning !== 'function') {
    throw new ConfigurationError('"onWarning" must be a function or false')
  }
  const revocation: unknown = options.revocation
  if (revocation !== undefined) {
    const { isRevoked, cacheSeconds } = (revocation ?? {}) as Partial<RevocationCheckOptions>
    if (typeof isRevoked !== 'function') {
      throw new ConfigurationError('"revocation" must be { isRevoked(claims), cacheSeconds? }')
    }
    if (
      cacheSeconds !== undefined &&
      !(Number.isInteger(cacheSeconds) && cacheSeconds >= 0 && cacheSeconds <= 3600)
    ) {
      throw new ConfigurationError('"revocation.cacheSeconds" must be a whole number from 0 to 3600')
    }
  }
  if (cache !== undefined && cache !== false) {
    if (
      typeof cache !== 'object' ||
      cache === null ||
      (cache.maxEntries !== undefined && !isCount(cache.maxEntries))
    ) {
      throw new ConfigurationError('"cache" must be false or { maxEntries: positive integer }')
    }
  }
}
