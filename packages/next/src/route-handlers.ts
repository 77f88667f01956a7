/**
 * Route-handler wrappers: `withAuth` for bearer-protected APIs (RFC 6750 answers from the core),
 * `withSession` for APIs called by the app's own pages with the session cookie. Both hand the
 * handler Next's context plus `auth`.
 */
import {
  type Auth,
  type AuthContext,
  type AuthenticationRequirement,
  authErrorResponse,
  authenticate,
  authenticationRequirement,
  bearerRequestOf,
  ConfigurationError,
  checkRequireSessionOptions,
  isAuthError,
  type JWTClaims,
  type ProtectedResource,
  type RequireSessionOptions,
  requireAuthentication,
  requireGrantedScopes,
  type SessionAuthContext,
  scopeNames,
} from '@org/auth-core'
import { withSetCookies } from './cookie-header.js'
import type { NextAuthInstance } from './options.js'

function noVerifier(): ConfigurationError {
  return new ConfigurationError('withAuth() needs the "verifier" option of createNextAuth')
}

/** Next's second route-handler argument: the dynamic segments. */
export interface RouteContext {
  params: Promise<Record<string, string | string[] | undefined>>
}

/** A route handler as Next calls it. */
export type RouteHandler<R extends Request = Request, Ctx = RouteContext> = (
  request: R,
  context: Ctx,
) => Promise<Response>

/**
 * Options of `withAuth`: scopes, and a step-up (RFC 9470: `acrValues`, `maxAge`) the token's
 * login must meet, else 401 `insufficient_user_authentication`. Default: none of them.
 */
export interface WithAuthOptions extends AuthenticationRequirement {
  /** Scopes the token must grant, every one (403 `insufficient_scope` otherwise). Default: none. */
  scopes?: readonly string[]
}

/** Wraps a route handler so it runs only for a valid bearer token; `context.auth` holds its claims. */
export type WithAuth = ReturnType<typeof createWithAuth>

/** Wraps a route handler so it runs only for a signed-in user; `context.auth` holds the session. */
export type WithSession = ReturnType<typeof createWithSession>

export function createWithAuth(instance: NextAuthInstance) {
  const verifierOf = () => {
    const { verifier, errorResponse, origin } = instance.bearer()
    if (verifier === undefined) throw noVerifier()
    return { verifier, errorResponse, origin }
  }
  return <C extends JWTClaims = JWTClaims, R extends Request = Request, Ctx = RouteContext>(
    handler: (request: R, context: Ctx & { auth: AuthContext<C> }) => Response | Promise<Response>,
    options: WithAuthOptions = {},
  ): RouteHandler<R, Ctx> => {
    const required = scopeNames(options.scopes ?? [])
    const stepUp = authenticationRequirement({
      ...(options.acrValues === undefined ? {} : { acrValues: options.acrValues }),
      ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
    })
    // Options known now are checked now: a route module without a verifier fails to load.
    if (instance.declared?.verifier === false) throw noVerifier()
    return async function authenticatedRoute(request: R, context: Ctx): Promise<Response> {
      // Request data before anything reads the clock (Next's cacheComponents prerendering).
      const authorization = request.headers.get('authorization')
      const { verifier, errorResponse, origin } = verifierOf()
      let auth: AuthContext
      try {
        // Method, URL and the DPoP header too, for DPoP-bound tokens (RFC 9449).
        auth = await authenticate(verifier, { ...bearerRequestOf(request, { origin }), authorization })
        requireGrantedScopes(auth, required)
        requireAuthentication(auth.claims, stepUp)
      } catch (error) {
        if (!isAuthError(error)) throw error
        return authErrorResponse(error, errorResponse)
      }
      // The claim type is the caller's to name: the verifier checked the token, not its shape.
      return handler(request, { ...context, auth: auth as AuthContext<C> })
    }
  }
}

/** `login` answers the login's `Auth` or throws; `requireLogin` throws now when options say there is none. */
export function createWithSession(login: () => Auth, requireLogin: () => void) {
  return <R extends Request = Request, Ctx = RouteContext>(
    handler: (request: R, context: Ctx & { auth: SessionAuthContext }) => Response | Promise<Response>,
    options: RequireSessionOptions = {},
  ): RouteHandler<R, Ctx> => {
    requireLogin()
    checkRequireSessionOptions(options)
    return async function sessionRoute(request: R, context: Ctx): Promise<Response> {
      // Request data first: under cacheComponents Next prerenders a GET handler at build time
      // until it reads the request, and the login configuration (its secrets) waits for run time.
      request.headers.get('cookie')
      const check = await login().requireSession(request, options)
      if (!check.ok) return check.response
      const response = await handler(request, { ...context, auth: check.auth })
      // A refreshed or renewed session is written back with the handler's response.
      return withSetCookies(response, check.cookies)
    }
  }
}

/**
 * The route handlers of the API's protected resource metadata (RFC 9728), for the route file at
 * its well-known path: `app/.well-known/oauth-protected-resource/route.ts` for a resource at the
 * origin's root, `app/.well-known/oauth-protected-resource/api/mcp/route.ts` for `…/api/mcp`
 * (`resource.metadataPath` says which): `export const { GET, HEAD, OPTIONS } = protectedResourceRoute(resource)`.
 */
export function protectedResourceRoute(resource: ProtectedResource): {
  GET: (request: Request) => Response
  HEAD: (request: Request) => Response
  OPTIONS: (request: Request) => Response
} {
  const handle = (request: Request): Response => resource.handle(request)
  return { GET: handle, HEAD: handle, OPTIONS: handle }
}
