import {
  type AuthenticationRequirement,
  authenticationRequirement,
  ConfigurationError,
  MissingTokenError,
  type ProtectedResource,
  requireAuthentication,
} from '@org/auth-core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { getAuth } from './request-auth.js'
import { forExpress } from './require-auth.js'

/**
 * Step-up (RFC 9470) for the routes after it, behind {@link requireAuth}: the token's `acr` must
 * be one of `acrValues` and its `auth_time` at most `maxAge` seconds old. Otherwise 401
 * `insufficient_user_authentication` through the error handler, whose challenge names the
 * `acr_values` and `max_age` to ask the authorization server for. For pages signed in with a
 * session, use `requireSession({ acrValues, maxAge })`: it sends the browser to log in again.
 */
export function requireStepUp(requirement: AuthenticationRequirement): RequestHandler {
  const checked = authenticationRequirement(requirement)
  if (checked === undefined) throw new ConfigurationError('requireStepUp() needs "acrValues" or "maxAge"')
  return function requireStepUpMiddleware(req: Request, _res: Response, next: NextFunction): void {
    try {
      const auth = getAuth(req)
      if (auth === undefined) throw new MissingTokenError()
      requireAuthentication(auth.claims, checked)
    } catch (error) {
      next(forExpress(error))
      return
    }
    next()
  }
}

/**
 * Serves the API's protected resource metadata (RFC 9728) at its well-known path, which depends
 * on the resource's path (`/.well-known/oauth-protected-resource/mcp` for `…/mcp`): mount it at
 * the application's root, `app.use(protectedResourceMetadata(resource))`. Pass
 * `resource.metadataUrl` to `authErrorHandler({ resourceMetadata })` so every challenge names it.
 */
export function protectedResourceMetadata(resource: ProtectedResource): RequestHandler {
  return function protectedResourceMetadataMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (req.baseUrl + req.path !== resource.metadataPath) {
      next()
      return
    }
    const { status, headers, body } = resource.describe(req.method)
    res.status(status).set(headers)
    if (body === '' || req.method === 'HEAD') res.end()
    else res.send(body)
  }
}
