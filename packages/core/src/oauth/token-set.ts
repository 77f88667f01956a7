import { RemoteResponseError } from '../errors.js'
import type { JWTClaims } from '../jwt/claims.js'

/** OpenID Connect ID-token claims (Core §2), as verified by the client. */
export interface IdTokenClaims extends JWTClaims {
  sub: string
  iss: string
  aud: string | string[]
  exp: number
  iat: number
  nonce?: string
  auth_time?: number
  azp?: string
  at_hash?: string
  c_hash?: string
  acr?: string
  amr?: string[]
}

/** A successful token response (RFC 6749 §5.1), in camelCase, checked field by field. */
export interface TokenSet {
  accessToken: string
  /**
   * `Bearer`, or `DPoP` for a token bound to the client's DPoP key (RFC 9449 §5): it is sent only
   * as `Authorization: DPoP` with a proof by that key. Compared case-insensitively (RFC 6749
   * §7.1); other types are refused.
   */
  tokenType: 'Bearer' | 'DPoP'
  /** Seconds the access token lives, as the server said. */
  expiresIn?: number
  /** Epoch seconds when the access token expires (`expires_in` from the time of the response). */
  expiresAt?: number
  refreshToken?: string
  /** The raw ID token, verified before this object was returned. */
  idToken?: string
  /** The verified ID-token claims, when an ID token was returned. */
  claims?: IdTokenClaims
  /** Granted scope, when the server said (RFC 6749 §5.1: it may omit it when unchanged). */
  scope?: string
  /** Every field of the response, for server-specific extensions. Holds tokens: never log it. */
  raw: Readonly<Record<string, unknown>>
}

function invalid(message: string): RemoteResponseError {
  return new RemoteResponseError('ERR_TOKEN_RESPONSE_INVALID', message)
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length === 0)
    throw invalid(`The token response "${name}" is not a string`)
  return value
}

/** `expires_in` as a number of seconds; a numeric string is accepted (some servers send one). */
function expiresIn(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  const seconds = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
    throw invalid('The token response "expires_in" is not a number of seconds')
  }
  return seconds
}

/**
 * `Bearer`, or `DPoP` when the request carried a proof. A server without DPoP support answers
 * `Bearer` to a request with a proof (RFC 9449 §5): accepted. A `DPoP` token the client holds no
 * key for could never be used: refused.
 */
function tokenTypeOf(body: Record<string, unknown>, sentProof: boolean): TokenSet['tokenType'] {
  const tokenType = optionalString(body, 'token_type')?.toLowerCase()
  if (tokenType === 'bearer') return 'Bearer'
  if (tokenType === 'dpop' && sentProof) return 'DPoP'
  throw new RemoteResponseError(
    'ERR_TOKEN_TYPE_UNSUPPORTED',
    sentProof
      ? 'The token response is neither a Bearer nor a DPoP token'
      : 'The token response is not a Bearer token',
  )
}

/**
 * Checks a token endpoint's JSON object and maps it to a {@link TokenSet} (claims not yet
 * verified). `sentProof`: the request carried a DPoP proof, so a `DPoP` token type is expected.
 */
export function parseTokenResponse(
  body: Record<string, unknown>,
  now = Date.now(),
  sentProof = false,
): TokenSet {
  const accessToken = optionalString(body, 'access_token')
  if (accessToken === undefined) throw invalid('The token response has no "access_token"')
  const tokenType = tokenTypeOf(body, sentProof)
  const set: TokenSet = { accessToken, tokenType, raw: Object.freeze({ ...body }) }
  const lifetime = expiresIn(body['expires_in'])
  if (lifetime !== undefined) {
    set.expiresIn = lifetime
    set.expiresAt = Math.floor(now / 1000) + lifetime
  }
  const refreshToken = optionalString(body, 'refresh_token')
  if (refreshToken !== undefined) set.refreshToken = refreshToken
  const idToken = optionalString(body, 'id_token')
  if (idToken !== undefined) set.idToken = idToken
  const scope = body['scope']
  if (typeof scope === 'string') set.scope = scope
  else if (scope !== undefined && scope !== null) throw invalid('The token response "scope" is not a string')
  return set
}
