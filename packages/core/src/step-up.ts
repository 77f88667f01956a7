/**
 * Step-up authentication (RFC 9470): a route may require that the user authenticated recently
 * (`max_age` against the `auth_time` claim) or with a given strength (the `acr` claim among
 * `acr_values`). A token or session that falls short is answered 401
 * `insufficient_user_authentication`, with the parameters the client must ask the authorization
 * server for, and the web login re-authenticates with them.
 *
 * The comparison lives here once: bearer routes, session pages and every adapter make it alike.
 */
import { ConfigurationError, InsufficientUserAuthenticationError } from './errors.js'
import { withChallenge } from './http/challenge.js'

/** What a route requires of the user's authentication. */
export interface AuthenticationRequirement {
  /**
   * Authentication context class references the route accepts (`acr` must be one of them, in
   * the order of preference sent to the authorization server). Default: any (none checked).
   */
  acrValues?: readonly string[]
  /**
   * Longest time since the user last authenticated, in seconds (`auth_time` must be this
   * recent). Default: any (none checked).
   */
  maxAge?: number
}

/** The claims the comparison reads: an access token's or an ID token's. */
export interface AuthenticationClaims {
  readonly acr?: unknown
  readonly auth_time?: unknown
  readonly [claim: string]: unknown
}

/** Characters an `acr` value may have: a visible ASCII word, as `acr_values` is space-separated. */
const ACR_VALUE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/
/** A `max_age` beyond ten years is a typo, not a policy. */
const MAX_MAX_AGE = 10 * 365 * 24 * 3600

/**
 * Validates a requirement given to a route guard, at start-up, and returns a frozen copy (or
 * `undefined` when it requires nothing). Throws {@link ConfigurationError} on a malformed one.
 */
export function authenticationRequirement(
  requirement: AuthenticationRequirement | undefined,
): Readonly<AuthenticationRequirement> | undefined {
  if (requirement === undefined) return undefined
  if (typeof requirement !== 'object' || requirement === null) {
    throw new ConfigurationError('The authentication requirement must be an object { acrValues?, maxAge? }')
  }
  const { acrValues, maxAge } = requirement
  const checked: AuthenticationRequirement = {}
  if (acrValues !== undefined) {
    if (!Array.isArray(acrValues) || acrValues.length === 0 || acrValues.length > 32) {
      throw new ConfigurationError('"acrValues" must be a non-empty list of at most 32 values')
    }
    for (const value of acrValues) {
      if (typeof value !== 'string' || !ACR_VALUE.test(value)) {
        throw new ConfigurationError(`"${String(value)}" is not a valid acr value`)
      }
    }
    checked.acrValues = Object.freeze([...acrValues])
  }
  if (maxAge !== undefined) {
    if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_MAX_AGE) {
      throw new ConfigurationError('"maxAge" must be a whole number of seconds, from 0 to ten years')
    }
    checked.maxAge = maxAge
  }
  return checked.acrValues === undefined && checked.maxAge === undefined ? undefined : Object.freeze(checked)
}

/**
 * Why `claims` fall short of `requirement`, or `undefined` when they meet it. `nowSeconds` is the
 * current time; `leeway` (seconds) tolerates clock skew on `auth_time` only. A missing or
 * malformed `acr`/`auth_time` never meets a requirement on it.
 */
export function unmetAuthentication(
  claims: AuthenticationClaims,
  requirement: Readonly<AuthenticationRequirement>,
  nowSeconds: number,
  leeway = 0,
): string | undefined {
  const { acrValues, maxAge } = requirement
  if (acrValues !== undefined) {
    const { acr } = claims
    if (typeof acr !== 'string' || !acrValues.includes(acr)) {
      return 'A stronger authentication is required'
    }
  }
  if (maxAge !== undefined) {
    const authTime = claims.auth_time
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) {
      return 'The time of authentication is unknown and a recent one is required'
    }
    if (authTime + maxAge < nowSeconds - leeway) return 'A more recent authentication is required'
  }
  return undefined
}

/**
 * Throws {@link InsufficientUserAuthenticationError} (401, `insufficient_user_authentication`)
 * unless `claims` meet `requirement`. The challenge then names the requirement's `acr_values` and
 * `max_age` (RFC 9470 §3).
 */
export function requireAuthentication(
  claims: AuthenticationClaims,
  requirement: Readonly<AuthenticationRequirement> | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
  leeway = 0,
): void {
  if (requirement === undefined) return
  const unmet = unmetAuthentication(claims, requirement, nowSeconds, leeway)
  if (unmet === undefined) return
  const error = new InsufficientUserAuthenticationError(unmet, requirement)
  // A DPoP-bound token only ever passes with the DPoP scheme (as Bearer it is refused), so its
  // refusal is answered with a DPoP challenge (RFC 9449 §7.1).
  const cnf = (claims as { cnf?: { jkt?: unknown } }).cnf
  throw typeof cnf?.jkt === 'string' ? withChallenge(error, DPOP_CHALLENGE) : error
}

const DPOP_CHALLENGE = Object.freeze({
  schemes: Object.freeze(['DPoP'] as const),
  errorScheme: 'DPoP' as const,
})
