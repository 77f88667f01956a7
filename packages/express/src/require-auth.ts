import {
  type AuthContext,
  authenticateNow,
  type BearerVerifier,
  describeAuthError,
  isAuthError,
  isPending,
  MissingTokenError,
  missingTokenError,
  requireGrantedScopes,
  resolveVerifier,
  scopeNames,
  type TokenVerifierOptions,
} from '@org/auth-core'
import { type NodeBearerRequestOptions, nodeBearerRequests } from '@org/auth-core/node'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { getAuth, setAuth } from './request-auth.js'

/**
 * The error as Express's own final handler can answer it: an `AuthError` already has `status`;
 * `headers` (the RFC 6750 `WWW-Authenticate` challenge, `Cache-Control`) is added, as
 * express-oauth2-jwt-bearer's errors carry it, so an app without {@link authErrorHandler} still
 * sends the challenge. Anything else passes unchanged.
 */
export function forExpress(error: unknown): unknown {
  if (isAuthError(error) && !Object.isFrozen(error) && !('headers' in error)) {
    Object.defineProperty(error, 'headers', { value: describeAuthError(error).headers })
  }
  return error
}

/**
 * Where the API is reached, for the DPoP `htu` check (RFC 9449): `origin` (the public origin,
 * e.g. `https://api.example.com`: the safest choice behind a proxy) or `trustProxy` (read
 * `X-Forwarded-Proto` / `X-Forwarded-Host`). Default: the `Host` header and the connection's scheme.
 */
export type RequireAuthOptions = NodeBearerRequestOptions

/**
 * Protects the routes after it with a bearer token (RFC 6750), or a DPoP-bound token with its
 * proof (RFC 9449) as the verifier's `dpop` option allows. Pass verifier options (a
 * verifier is created once, here) or a verifier / resource server from `@org/auth-core`.
 *
 * On success `getAuth(req)` (and `req.auth`) holds `{ claims, token, scopes }`. On failure the `AuthError` goes to
 * `next(err)`; mount {@link authErrorHandler} to answer it.
 */
export function requireAuth(
  verifier: TokenVerifierOptions | BearerVerifier,
  options: RequireAuthOptions = {},
): RequestHandler {
  const resolved = resolveVerifier(verifier)
  const bearerRequestOf = nodeBearerRequests(options)
  // No header at all, the usual refusal: one shared (frozen) error instead of one per request.
  const missing = Object.freeze(forExpress(missingTokenError(resolved)))
  return function requireAuthMiddleware(req: Request, _res: Response, next: NextFunction): void {
    if (req.headers.authorization === undefined) {
      next(missing)
      return
    }
    let result: AuthContext | Promise<AuthContext>
    try {
      result = authenticateNow(resolved, bearerRequestOf(req))
    } catch (error) {
      next(forExpress(error))
      return
    }
    // A cached token (or a refused header) is settled at once: no promise, no microtask turn.
    if (!isPending(result)) {
      setAuth(req, result)
      next()
      return
    }
    result.then(
      (auth) => {
        setAuth(req, auth)
        next()
      },
      (error: unknown) => next(forExpress(error)),
    )
  }
}

/**
 * Requires every listed scope on the authenticated token (after {@link requireAuth} or
 * `requireSession()`); a token lacking one gets 403 `insufficient_scope` through the error handler.
 */
export function requireScopes(...scopes: string[]): RequestHandler {
  const required = scopeNames(scopes)
  return function requireScopesMiddleware(req: Request, _res: Response, next: NextFunction): void {
    try {
      const auth = getAuth(req)
      if (auth === undefined) throw new MissingTokenError()
      // `scopes`, not the claims: a session's claims are the user's, its scopes the access token's.
      requireGrantedScopes(auth, required)
    } catch (error) {
      next(forExpress(error))
      return
    }
    next()
  }
}
