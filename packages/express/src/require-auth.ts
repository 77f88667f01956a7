import {
  type AuthContext,
  authenticateNow,
  authorizationOf,
  type BearerVerifier,
  isPending,
  MissingTokenError,
  requireGrantedScopes,
  resolveVerifier,
  scopeNames,
  type TokenVerifierOptions,
} from '@org/auth-core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/**
 * Protects the routes after it with a bearer token (RFC 6750). Pass verifier options (a
 * verifier is created once, here) or a verifier / resource server from `@org/auth-core`.
 *
 * On success `req.auth` holds `{ claims, token, scopes }`. On failure the `AuthError` goes to
 * `next(err)`; mount {@link authErrorHandler} to answer it.
 */
export function requireAuth(verifier: TokenVerifierOptions | BearerVerifier): RequestHandler {
  const resolved = resolveVerifier(verifier)
  // No header at all, the usual refusal: one shared (frozen) error instead of one per request.
  const missing = Object.freeze(new MissingTokenError())
  return function requireAuthMiddleware(req: Request, _res: Response, next: NextFunction): void {
    const header = authorizationOf(req)
    if (header === undefined) {
      next(missing)
      return
    }
    let result: AuthContext | Promise<AuthContext>
    try {
      result = authenticateNow(resolved, header)
    } catch (error) {
      next(error)
      return
    }
    // A cached token (or a refused header) is settled at once: no promise, no microtask turn.
    if (!isPending(result)) {
      req.auth = result
      next()
      return
    }
    result.then((auth) => {
      req.auth = auth
      next()
    }, next)
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
      if (req.auth === undefined) throw new MissingTokenError()
      // `scopes`, not the claims: a session's claims are the user's, its scopes the access token's.
      requireGrantedScopes(req.auth, required)
    } catch (error) {
      next(error)
      return
    }
    next()
  }
}
