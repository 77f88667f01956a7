import {
  type AuthContext,
  type AuthError,
  authErrorResponse,
  authenticateNow,
  authorizationFromRawHeaders,
  type BearerRequest,
  type BearerVerifier,
  checkOrigin,
  type ErrorResponseOptions,
  headerValues,
  isAuthError,
  isPending,
  type JWTClaims,
  MissingTokenError,
  missingTokenError,
  prebuiltErrorResponse,
  publicUrl,
  requireGrantedScopes,
  resolveVerifier,
  scopeNames,
  type TokenVerifierOptions,
  warnHostDerivedHtu,
} from '@org/auth-core'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * An app whose routes may or may not be behind {@link requireAuth}: `c.var.auth` is there only
 * where it ran (`new Hono<AuthEnv>()`; check it on public routes).
 */
export interface AuthEnv<C extends JWTClaims = JWTClaims> {
  Variables: { auth?: AuthContext<C> }
}

/**
 * What {@link requireAuth} provides: `c.var.auth`, always there. A route's handlers after it get
 * this type by themselves (`app.get('/me', requireAuth(v), (c) => c.var.auth.claims)`); type a
 * sub-app with it when `requireAuth` guards all of its routes.
 */
export interface AuthenticatedEnv<C extends JWTClaims = JWTClaims> {
  Variables: { auth: AuthContext<C> }
}

export interface RequireAuthOptions extends ErrorResponseOptions {
  /**
   * Throw an {@link AuthHTTPException} for `app.onError` instead of answering directly.
   * Default: `false`: the RFC 6750 response is returned at once and the `AuthError` is set on
   * `c.error` for outer middleware. Hono's default error handler re-streams a thrown response's
   * body, which costs several times a plain answer under a flood of bad requests; with this on,
   * have `app.onError` return `error.getResponse()` to stay on the fast path.
   */
  throwHttpException?: boolean
  /**
   * The public origin (`https://api.example.com`) clients address, for the DPoP `htu` check
   * (RFC 9449) behind a proxy that changes the host or scheme. Default: the origin of `c.req.url`.
   */
  origin?: string
}

/**
 * The `HTTPException` an auth failure is thrown as: `app.onError` sees it (its `cause` is the
 * {@link AuthError}), and `getResponse()` answers RFC 6750. It builds a fresh string-bodied
 * response on each call instead of carrying a prebuilt `res`, because `HTTPException` re-wraps a
 * prebuilt body as a stream, which costs a multiple of the request on Node.
 */
export class AuthHTTPException extends HTTPException {
  override readonly cause: AuthError
  readonly #options: ErrorResponseOptions

  constructor(error: AuthError, options: ErrorResponseOptions) {
    super(error.status as ContentfulStatusCode, { message: error.message, cause: error })
    // A literal, not the class's own name: minifying bundlers rename classes.
    this.name = 'AuthHTTPException'
    this.cause = error
    this.#options = options
  }

  override getResponse(): Response {
    return authErrorResponse(this.cause, this.#options)
  }
}

/**
 * The `Authorization` header. On `@hono/node-server` it is read from the raw headers of the Node
 * request in `c.env.incoming`: `c.req.header()` would first build a WHATWG `Headers` from every
 * raw header, and Node's own `incoming.headers` object is built lazily on first access too, a
 * cost no bare route pays. Repeated `Authorization` headers come back as a list, which
 * `authenticateNow` refuses. Elsewhere, the Fetch API header is used.
 */
function authorizationHeader(c: Context): string | string[] | null | undefined {
  const incoming = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming
  if (incoming !== undefined && Array.isArray(incoming.rawHeaders)) {
    return authorizationFromRawHeaders(incoming.rawHeaders as string[])
  }
  return c.req.header('authorization')
}

/** The `DPoP` header: every value when repeated (refused by the core), from the raw headers on Node. */
function dpopHeader(c: Context): string | string[] | null | undefined {
  const incoming = (c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming
  if (incoming !== undefined && Array.isArray(incoming.rawHeaders)) {
    return headerValues(incoming.rawHeaders as string[], 'dpop')
  }
  return c.req.header('dpop')
}

/** Answers an auth failure (or rethrows anything else), per {@link RequireAuthOptions.throwHttpException}. */
export function answer(error: unknown, c: Context, options: RequireAuthOptions): Response {
  if (!isAuthError(error)) throw error
  if (options.throwHttpException) throw new AuthHTTPException(error, options)
  c.error = error
  return authErrorResponse(error, options)
}

/**
 * Protects the routes after it with a bearer token (RFC 6750). Pass verifier options (a
 * verifier is created once, here) or a verifier / resource server from `@org/auth-core`.
 * On success `c.var.auth` holds `{ claims, token, scopes }`.
 */
export function requireAuth<C extends JWTClaims = JWTClaims>(
  verifier: TokenVerifierOptions | BearerVerifier<C>,
  options: RequireAuthOptions = {},
): MiddlewareHandler<AuthenticatedEnv<C>> {
  const resolved = resolveVerifier<C>(verifier)
  const origin = checkOrigin(options.origin)
  // No Authorization header at all is the common refusal (crawlers, floods, expired front-ends):
  // its answer never varies, so it is built once and the request skips the throw and the description.
  const missingError = Object.freeze(missingTokenError(resolved))
  const missingResponse = prebuiltErrorResponse(missingError, options)
  async function afterVerification(
    pending: Promise<AuthContext<C>>,
    c: Context<AuthenticatedEnv<C>>,
    next: Next,
  ) {
    let auth: AuthContext<C>
    try {
      auth = await pending
    } catch (error) {
      return answer(error, c, options)
    }
    c.set('auth', auth)
    errorOptionsOf.set(c, options)
    await next()
  }
  // Not `async`: a cached token or a refused header is settled without a promise of ours.
  return function requireAuthMiddleware(c, next) {
    const header = authorizationHeader(c)
    if (header === undefined || header === null) {
      if (options.throwHttpException) throw new AuthHTTPException(missingError, options)
      c.error = missingError
      return Promise.resolve(missingResponse())
    }
    let result: AuthContext<C> | Promise<AuthContext<C>>
    try {
      const request: BearerRequest = {
        authorization: header,
        dpop: () => dpopHeader(c),
        method: c.req.method,
        // Computed only when a DPoP proof is checked.
        url:
          origin === undefined
            ? () => {
                warnHostDerivedHtu()
                return c.req.url
              }
            : () => publicUrl(c.req.url, origin),
      }
      result = authenticateNow(resolved, request)
    } catch (error) {
      return Promise.resolve(answer(error, c, options))
    }
    if (isPending(result)) return afterVerification(result, c, next)
    c.set('auth', result)
    errorOptionsOf.set(c, options)
    return next()
  }
}

/**
 * The error-response options (`realm`) of the `requireAuth` that authenticated a request, so the
 * 403 of a later `requireScopes` carries the same challenge. Keyed by the request's context, in a
 * registry every copy of this package shares (the ESM and CommonJS builds loaded together, as
 * `c.var.auth` is shared): a `requireScopes` of one copy still finds the realm set by the other.
 */
export const errorOptionsOf: WeakMap<object, RequireAuthOptions> = sharedRegistry(
  Symbol.for('@org/auth-hono/error-options'),
)

function sharedRegistry(key: symbol): WeakMap<object, RequireAuthOptions> {
  const global = globalThis as { [key: symbol]: WeakMap<object, RequireAuthOptions> | undefined }
  global[key] ??= new WeakMap()
  return global[key]
}

/**
 * Requires every listed scope (after {@link requireAuth} or `requireSession`); otherwise 403
 * `insufficient_scope`. Compared: `c.var.auth.scopes`, the scopes of the access token (the bearer
 * token, or the session's), never the claims (a session's are the user's ID-token claims). The
 * challenge carries the `realm` given to the `requireAuth` before it.
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<AuthEnv> {
  return requireScopesWith(scopes, undefined)
}

/** {@link requireScopes} with error-response options (a `realm`); default: those of `requireAuth`. */
export function requireScopesWith(
  scopes: readonly string[],
  options: RequireAuthOptions | undefined,
): MiddlewareHandler<AuthEnv> {
  const required = scopeNames(scopes)
  return async function requireScopesMiddleware(c, next) {
    const auth = c.get('auth') as AuthContext | undefined
    try {
      if (auth === undefined) throw new MissingTokenError()
      requireGrantedScopes(auth, required)
    } catch (error) {
      return answer(error, c, options ?? errorOptionsOf.get(c) ?? {})
    }
    await next()
  }
}
