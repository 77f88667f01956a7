import {
  type AuthContext,
  type AuthenticationRequirement,
  authenticationRequirement,
  ConfigurationError,
  MissingTokenError,
  type ProtectedResource,
  requireAuthentication,
} from '@org/auth-core'
import type { MiddlewareHandler } from 'hono'
import { type AuthEnv, answer, errorOptionsOf, type RequireAuthOptions } from './require-auth.js'

/**
 * Step-up (RFC 9470), after {@link requireAuth}: the token's `acr` must be one of `acrValues`
 * and its `auth_time` at most `maxAge` seconds old; otherwise 401
 * `insufficient_user_authentication`, whose challenge names the `acr_values` and `max_age` to ask
 * the authorization server for (and the `realm`/`resource_metadata` of the `requireAuth` before
 * it, or `options`). For pages signed in with a session, use `requireSession(auth, { acrValues,
 * maxAge })`: it sends the browser to log in again.
 */
export function requireStepUp(
  requirement: AuthenticationRequirement,
  options?: RequireAuthOptions,
): MiddlewareHandler<AuthEnv> {
  const checked = authenticationRequirement(requirement)
  if (checked === undefined) throw new ConfigurationError('requireStepUp() needs "acrValues" or "maxAge"')
  return async function requireStepUpMiddleware(c, next) {
    const auth = c.get('auth') as AuthContext | undefined
    try {
      if (auth === undefined) throw new MissingTokenError()
      requireAuthentication(auth.claims, checked)
    } catch (error) {
      return answer(error, c, options ?? errorOptionsOf.get(c) ?? {})
    }
    await next()
  }
}

/**
 * Serves the API's protected resource metadata (RFC 9728) at its well-known path, which depends
 * on the resource's path (`/.well-known/oauth-protected-resource/mcp` for `…/mcp`):
 * `app.use(protectedResourceMetadata(resource))`. Give `resource.metadataUrl` to `requireAuth`
 * as `resourceMetadata` so every challenge names it.
 */
export function protectedResourceMetadata(resource: ProtectedResource): MiddlewareHandler {
  return async function protectedResourceMetadataMiddleware(c, next) {
    if (c.req.path !== resource.metadataPath) return next()
    return resource.handle(c.req.raw)
  }
}
