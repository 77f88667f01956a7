/**
 * Scopes: which ones a request holds, and the one comparison every adapter makes.
 *
 * What a request holds is decided once, by the core, when it builds the auth context every
 * adapter attaches (`req.auth`, `c.var.auth`, `request.auth`, `context.auth`): for a bearer
 * token, the scopes of that (access) token's claims ({@link scopesOf}); for a web session, the
 * scope the token endpoint granted to the session's access token ({@link parseScope} of
 * `session.scope`). Adapters then compare `auth.scopes`, never claims: a session's `claims` are
 * the user's ID-token (and userinfo) claims, where a `scope` or `scp` attribute is user data,
 * not a grant.
 */
import { ConfigurationError, InsufficientScopeError } from './errors.js'
import { withChallenge } from './http/challenge.js'
import type { JWTClaims } from './jwt/claims.js'

const DPOP_SCOPE_CHALLENGE = Object.freeze({
  schemes: Object.freeze(['DPoP'] as const),
  errorScheme: 'DPoP' as const,
})

const EMPTY: readonly string[] = Object.freeze([])

/** What scopes are read from: the auth context adapters attach to a request. */
export interface ScopedAuth {
  /** The scopes granted to the request's access token (frozen; built by the core). */
  readonly scopes: readonly string[]
}

/**
 * A scope value as OAuth writes it: a space-separated string (RFC 6749 §3.3, RFC 9068 `scope`),
 * or a list (the `scp` claim of some providers). Empty entries are dropped and non-strings in a
 * list ignored; any other value grants nothing. The result is frozen.
 */
export function parseScope(value: unknown): readonly string[] {
  if (typeof value === 'string') {
    return value.length === 0 ? EMPTY : Object.freeze(value.split(' ').filter(Boolean))
  }
  if (Array.isArray(value)) {
    return Object.freeze(value.filter((scope): scope is string => typeof scope === 'string' && scope !== ''))
  }
  return EMPTY
}

/**
 * The scopes an access token grants, from its verified claims: `scope` (RFC 8693 / RFC 9068), or
 * else `scp`. For access-token claims only: never pass ID-token claims (a session's `user`).
 */
export function scopesOf(claims: JWTClaims): readonly string[] {
  return parseScope(claims.scope ?? claims.scp)
}

function grantedOf(auth: ScopedAuth, caller: string): readonly string[] {
  const scopes = (auth as Partial<ScopedAuth> | null | undefined)?.scopes
  // Token claims passed by mistake have no `scopes` list: refuse loudly, never compare them.
  if (!Array.isArray(scopes)) {
    throw new TypeError(`${caller}() takes the auth context (with its "scopes"), not token claims`)
  }
  return scopes
}

/** The scopes of `required` that `auth` lacks (exact, case-sensitive names), in order. */
export function missingScopes(auth: ScopedAuth, required: readonly string[]): readonly string[] {
  if (required.length === 0) return EMPTY
  const granted = grantedOf(auth, 'missingScopes')
  return required.filter((scope) => !granted.includes(scope))
}

/**
 * Throws {@link InsufficientScopeError} (403, `insufficient_scope`) unless `auth` (the context a
 * bearer check or a session check produced) holds every one of `required`. The comparison every
 * adapter's scope guard makes.
 */
export function requireGrantedScopes(auth: ScopedAuth, required: readonly string[]): void {
  if (required.length === 0) return
  const granted = grantedOf(auth, 'requireGrantedScopes')
  for (const scope of required) {
    if (!granted.includes(scope)) {
      const error = new InsufficientScopeError(required)
      // A request authenticated with DPoP is answered with a DPoP challenge (RFC 9449 §7.1).
      throw (auth as { dpop?: unknown }).dpop === undefined
        ? error
        : withChallenge(error, DPOP_SCOPE_CHALLENGE)
    }
  }
}

/**
 * Validates scope names given to a route guard, at start-up: each a non-empty string without
 * spaces (RFC 6749 §3.3 scope-token). Returns a frozen copy.
 */
export function scopeNames(scopes: readonly string[]): readonly string[] {
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      throw new ConfigurationError(`"${String(scope)}" is not a valid scope name`)
    }
  }
  return Object.freeze([...scopes])
}
