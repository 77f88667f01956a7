import type { JWK } from 'jose'
import {
  type AuthError,
  ConfigurationError,
  InvalidPublicKeyError,
  isAuthError,
  JWTClaimValidationError,
  JWTVerificationError,
  OAuthExchangeError,
  RemoteResponseError,
  UnusableExchangeResponseError,
} from '../errors.js'
import { decodePayload, splitCompact } from '../jwt/decode.js'
import { resolveAlgorithms, type SignatureAlgorithm } from '../keys/algorithms.js'
import {
  type JSONWebKeySet,
  type PublicKeyInput,
  parsePublicKey,
  parseStaticJwks,
} from '../keys/public-key.js'
import { createRemoteJwks, type RemoteJwks } from '../keys/remote-jwks.js'
import type { HttpOptions } from '../lib/fetch-json.js'
import { LruCache } from '../lib/lru.js'
import { secureUrl } from '../lib/url.js'
import { type ClientContext, callEndpoint } from './back-channel.js'
import { type ClientAuthentication, ClientSecretBasic, None } from './client-auth.js'
import { createIdTokenValidator, type IdTokenValidator } from './id-token.js'
import { type IdTokenClaims, parseTokenResponse } from './token-set.js'

/** The keys that sign the ID token, in any of the forms an issuer hands out. */
export type ExchangePublicKey = string | URL | JWK | JSONWebKeySet

export interface ExchangeCodeOptions {
  /** The authorization code from the callback (`?code=`). Required. */
  code: string
  /** The token endpoint URL: https, or http on loopback. Required. */
  tokenUrl: string | URL
  /** This client's `client_id`. Required. */
  clientId: string
  /** The client secret: sent with HTTP Basic (RFC 6749 §2.3.1). Default: none (a public client). */
  clientSecret?: string
  /**
   * The ID token's keys: a PEM (`PUBLIC KEY` / `CERTIFICATE`), a JWK (object or JSON string), a
   * JWKS (object or JSON string), or a JWKS URL (`https://…`, `http://` on loopback, or a `URL`).
   * On Node, read a file with `publicKeyFromFile(path)` from `@org/auth-core/node`. Required;
   * checked before any request. Remote keys are cached across calls; object keys are cached by
   * identity, so do not mutate one after passing it.
   */
  publicKey: ExchangePublicKey
  /** The PKCE verifier kept since the authorization request (RFC 7636). Default: none. */
  codeVerifier?: string
  /** The `redirect_uri` of the authorization request; required by RFC 6749 §4.1.3 when it had one. Default: none. */
  redirectUri?: string
  /** The `aud` the ID token must contain, and its `azp` when present. Default: `clientId`. */
  audience?: string
  /**
   * The exact `iss` of the ID token. Default: the token's own `iss`, accepted only if it is an
   * https (or loopback http) URL on the token endpoint's origin. Pass it in production.
   */
  issuer?: string
  /** The `nonce` sent in the authorization request: the ID token's must equal it. Default: not checked. */
  nonce?: string
  /** Clock skew tolerated on the ID token's times, in seconds (0–600). Default: 5. */
  leeway?: number
  /** Accepted ID-token algorithms. Default: every supported asymmetric algorithm. */
  algorithms?: readonly SignatureAlgorithm[]
  /**
   * `fetch` implementation for the token and JWKS requests. Default: the global `fetch`. Keys of a
   * JWKS URL are cached per `fetch` function: pass the same function on every call.
   */
  fetch?: typeof fetch
  /** Milliseconds before the token (or JWKS) request is abandoned. Default: 5000. */
  timeout?: number
  /**
   * How the client authenticates (`ClientSecretPost`, `PrivateKeyJwt`...). Default:
   * `ClientSecretBasic(clientSecret)` with a secret, else `None()`. Not with `clientSecret`.
   */
  clientAuthentication?: ClientAuthentication
}

type KeySource = { jwks: RemoteJwks | JSONWebKeySet } | { publicKey: PublicKeyInput | JWK }

/** A checked key input and the validators built on it (one per issuer/audience/leeway/algorithms). */
interface KeyEntry {
  source: KeySource
  validators: LruCache<IdTokenValidator>
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  ...['code', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuthentication', 'publicKey', 'codeVerifier'],
  ...['redirectUri', 'audience', 'issuer', 'nonce', 'leeway', 'algorithms', 'fetch', 'timeout'],
])
// A new validator per call would refetch a JWKS URL every time (Hono's jwk middleware does):
// keys are kept per key input, bounded, so repeated exchanges reuse fetched and imported keys.
const MAX_KEY_INPUTS = 32
const MAX_VALIDATORS_PER_KEY = 8
const byString = new LruCache<KeyEntry>(MAX_KEY_INPUTS)
const byObject = new WeakMap<object, KeyEntry>()
// A remote JWKS fetches with the caller's `fetch`: one cached set per distinct `fetch` function.
const fetchIds = new WeakMap<object, number>()
let nextFetchId = 1

function fetchId(fetchImpl: typeof fetch | undefined): number {
  if (fetchImpl === undefined) return 0
  let id = fetchIds.get(fetchImpl)
  if (id === undefined) {
    id = nextFetchId++
    fetchIds.set(fetchImpl, id)
  }
  return id
}

function isUrlInput(input: unknown): input is string | URL {
  return input instanceof URL || (typeof input === 'string' && /^https?:\/\//i.test(input.trim()))
}

function cached(key: string, create: () => KeySource): KeyEntry {
  let entry = byString.get(key)
  if (entry === undefined) {
    entry = { source: create(), validators: new LruCache(MAX_VALIDATORS_PER_KEY) }
    byString.set(key, entry)
  }
  return entry
}

function objectSource(value: object): KeySource {
  if (Array.isArray((value as JSONWebKeySet).keys)) {
    parseStaticJwks(value)
    return { jwks: value as JSONWebKeySet }
  }
  parsePublicKey(value as JWK)
  return { publicKey: value as JWK }
}

/** Checks the key input and returns its cache entry; throws before any request is made. */
function keyEntry(input: unknown, http: HttpOptions): KeyEntry {
  if (isUrlInput(input)) {
    let href: string
    try {
      href = secureUrl(typeof input === 'string' ? input.trim() : input, 'publicKey').href
    } catch (cause) {
      throw new InvalidPublicKeyError('A JWKS URL must be https (http only on loopback)', { cause })
    }
    return cached(`jwks ${fetchId(http.fetch)} ${http.timeout ?? ''} ${href}`, () => ({
      jwks: createRemoteJwks(href, http),
    }))
  }
  if (typeof input === 'string') {
    const text = input.trim()
    if (text.startsWith('-----BEGIN')) {
      return cached(`pem ${text}`, () => {
        parsePublicKey(text)
        return { publicKey: text }
      })
    }
    if (text.startsWith('{')) {
      return cached(`json ${text}`, () => {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch (cause) {
          throw new InvalidPublicKeyError('The public key looks like JSON but does not parse', { cause })
        }
        if (typeof parsed !== 'object' || parsed === null) {
          throw new InvalidPublicKeyError('The public key JSON must be a JWK or a JWKS object')
        }
        return objectSource(parsed)
      })
    }
    throw new InvalidPublicKeyError(
      '"publicKey" must be a PEM block, a JWK, a JWKS or a JWKS URL; to read a key file on Node, ' +
        'pass publicKeyFromFile(path) from "@org/auth-core/node"',
    )
  }
  if (typeof input !== 'object' || input === null) {
    throw new InvalidPublicKeyError('"publicKey" is required: a PEM, a JWK, a JWKS or a JWKS URL')
  }
  let entry = byObject.get(input)
  if (entry === undefined) {
    entry = { source: objectSource(input), validators: new LruCache(MAX_VALIDATORS_PER_KEY) }
    byObject.set(input, entry)
  }
  return entry
}

function checkOptions(options: ExchangeCodeOptions): URL {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('exchangeCodeForClaims options are required')
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigurationError(`Unknown exchangeCodeForClaims option "${key}"`)
  }
  for (const name of ['code', 'clientId'] as const) {
    if (typeof options[name] !== 'string' || options[name].length === 0) {
      throw new ConfigurationError(`"${name}" is required (a non-empty string)`)
    }
  }
  for (const name of ['codeVerifier', 'redirectUri', 'audience', 'issuer', 'nonce'] as const) {
    const value = options[name]
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new ConfigurationError(`"${name}" must be a non-empty string when given`)
    }
  }
  const { leeway } = options
  if (leeway !== undefined && !(typeof leeway === 'number' && leeway >= 0 && leeway <= 600)) {
    throw new ConfigurationError('"leeway" must be a number of seconds between 0 and 600')
  }
  resolveAlgorithms(options.algorithms)
  if (options.clientAuthentication !== undefined && options.clientSecret !== undefined) {
    throw new ConfigurationError('Pass either "clientAuthentication" or "clientSecret", not both')
  }
  return secureUrl(options.tokenUrl, 'tokenUrl')
}

/**
 * Without a configured issuer, the ID token's `iss` is trusted only as far as it names the server
 * the code was just exchanged with: an https (or loopback http) URL on the token endpoint's origin.
 */
function issuerOnOrigin(idToken: string, tokenUrl: URL): string {
  const [, payload] = splitCompact(idToken, 8192)
  const { iss } = decodePayload(payload)
  let url: URL | undefined
  try {
    url = typeof iss === 'string' ? secureUrl(iss, 'iss') : undefined
  } catch {
    url = undefined
  }
  if (url === undefined || url.origin !== tokenUrl.origin || url.search !== '' || url.hash !== '') {
    throw new JWTClaimValidationError(
      'ERR_JWT_ISSUER_INVALID',
      'iss',
      'The ID token "iss" is not a URL on the token endpoint\'s origin: pass "issuer" with the exact value',
    )
  }
  return iss as string
}

/**
 * Exchanges an authorization code at the token endpoint (RFC 6749 §4.1.3, with the PKCE verifier
 * of RFC 7636) and returns the verified claims of the ID token that came back (OpenID Connect
 * Core §3.1.3.7). For a server-side callback that needs the user's identity and nothing else.
 *
 * Once its options are accepted (a `ConfigurationError` otherwise), rejects only with the seed's
 * three classes: `OAuthExchangeError` (the server's `error`, e.g. `invalid_grant`; or, with
 * `error: 'invalid_response'` and the precise `code`, an unusable answer: HTML, 5xx, redirect,
 * timeout, no ID token...), `JWTVerificationError` (or a subclass), or `InvalidPublicKeyError`
 * (a key unusable, before any request, or keys that could not be fetched).
 */
export async function exchangeCodeForClaims(options: ExchangeCodeOptions): Promise<IdTokenClaims> {
  const tokenUrl = checkOptions(options)
  try {
    return await exchange(options, tokenUrl)
  } catch (error) {
    throw asSeedError(error)
  }
}

/** One of the seed's three classes for any failure; the original stays the `cause`. */
function asSeedError(error: unknown): AuthError {
  if (error instanceof OAuthExchangeError || error instanceof JWTVerificationError) return error
  if (error instanceof InvalidPublicKeyError) return error
  if (isAuthError(error) && error.status === 503) {
    return new InvalidPublicKeyError('The ID token keys could not be fetched', { cause: error })
  }
  const cause = isAuthError(error)
    ? error
    : new RemoteResponseError('ERR_TOKEN_ENDPOINT_FAILED', 'The code exchange failed', { cause: error })
  return new UnusableExchangeResponseError(cause)
}

async function exchange(options: ExchangeCodeOptions, tokenUrl: URL): Promise<IdTokenClaims> {
  const { clientId, clientSecret } = options
  const http: HttpOptions = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  }
  const keys = keyEntry(options.publicKey, http)
  const auth =
    options.clientAuthentication ?? (clientSecret === undefined ? None() : ClientSecretBasic(clientSecret))
  const ctx: ClientContext = {
    // A client assertion's audience is the issuer; without one, the token endpoint URL (RFC 7523 §3).
    metadata: { issuer: options.issuer ?? tokenUrl.href, token_endpoint: tokenUrl.href },
    clientId,
    auth,
    http,
    requestFormat: 'form',
  }
  const body = await callEndpoint(ctx, {
    url: tokenUrl.href,
    what: 'The token endpoint',
    params: {
      grant_type: 'authorization_code',
      code: options.code,
      redirect_uri: options.redirectUri,
      code_verifier: options.codeVerifier,
    },
  })
  const tokens = parseTokenResponse(body)
  if (tokens.idToken === undefined) {
    throw new RemoteResponseError('ERR_ID_TOKEN_MISSING', 'The token response has no ID token')
  }
  const issuer = options.issuer ?? issuerOnOrigin(tokens.idToken, tokenUrl)
  const audience = options.audience ?? clientId
  const validatorKey = JSON.stringify([issuer, audience, options.leeway, options.algorithms])
  let validator = keys.validators.get(validatorKey)
  if (validator === undefined) {
    validator = createIdTokenValidator({
      issuer,
      clientId: audience,
      ...keys.source,
      ...(options.leeway === undefined ? {} : { leeway: options.leeway }),
      ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    })
    keys.validators.set(validatorKey, validator)
  }
  return validator.validate(tokens.idToken, {
    accessToken: tokens.accessToken,
    code: options.code,
    nonce: options.nonce,
  })
}
