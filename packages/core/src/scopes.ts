import { ConfigurationError, InsufficientScopeError } from './errors.js'
import type { JWTClaims } from './jwt/claims.js'

const EMPTY: readonly string[] = Object.freeze([])

/**
 * The scopes a token grants: RFC 8693 / RFC 9068 `scope` (space-separated string), or the
 * `scp` claim some providers use (array or string).
 */
export function scopesOf(claims: JWTClaims): readonly string[] {
  const scope = claims.scope ?? claims.scp
  if (typeof scope === 'string') return scope.length === 0 ? EMPTY : scope.split(' ').filter(Boolean)
  if (Array.isArray(scope)) return scope.filter((value): value is string => typeof value === 'string')
  return EMPTY
}

/**
 * Throws {@link InsufficientScopeError} (403, `insufficient_scope`) unless the token grants
 * every one of `required`.
 */
export function requireScopes(claims: JWTClaims, required: readonly string[]): void {
  if (required.length === 0) return
  const granted = scopesOf(claims)
  for (const scope of required) {
    if (!granted.includes(scope)) throw new InsufficientScopeError(required)
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
