/**
 * `createAuth`: web login for any framework that speaks `Request`/`Response` (and, through the
 * Node bridge, for Express and Nest). One handler serves the login, callback, logout and session
 * routes; `resolveSession` gives application code the signed-in user.
 */
import { DpopNonces } from '../dpop/nonces.js'
import { ConfigurationError, isAuthError, SessionError } from '../errors.js'
import { retryAfterOf } from '../http/error-response.js'
import type { AuthorizedFetch } from '../oauth/authorized-fetch.js'
import { OAuthClient } from '../oauth/client.js'
import { type AuthenticationRequirement, authenticationRequirement } from '../step-up.js'
import { type AuthConfig, resolveConfig, siteResolver } from './auth-config.js'
import type { AuthOptions } from './auth-options.js'
import { backchannelLogout } from './backchannel-logout.js'
import { parseCookies } from './cookies.js'
import { asRequest, type RequestLike } from './request-like.js'
import { checkSession, type RequireSessionOptions, type SessionCheck } from './require-session.js'
import { errorPage, json } from './responses.js'
import { safeReturnTo } from './return-to.js'
import { callback, login, logout, type RouteContext, session } from './routes.js'
import { createSealer } from './seal.js'
import { SessionCookies } from './session-cookie.js'
import { SessionDpopKeys } from './session-dpop.js'
import { createSessionFetch, type SessionFetchOptions } from './session-fetch.js'
import { SessionManager, type SessionSummary } from './session-management.js'
import { type ResolvedSession, type Session, SessionResolver } from './session-resolver.js'
import {
  type EstablishedSession,
  localIssuerOf,
  type SignInOptions,
  type StepUpOptions,
  signIn,
  stepUp,
} from './sign-in.js'

export interface Auth {
  /**
   * Serves the login routes; any other path answers 404 (check `isAuthRoute` first to fall
   * through to your application instead).
   */
  handler(request: Request): Promise<Response>
  /** Whether `pathname` is one of the login routes. */
  isAuthRoute(pathname: string): boolean
  /**
   * The signed-in user's session and the `Set-Cookie` lines the response must carry: a rolling
   * session is extended, an access token due for refresh is refreshed (once per session, however
   * many requests ask), and leftover invalid cookies are deleted. Use this in middleware.
   */
  resolveSession(request: RequestLike): Promise<ResolvedSession>
  /**
   * The session, read-only: no renewal and no refresh (a refresh that cannot write its rotated
   * refresh token back would lose it). For places that cannot set cookies.
   */
  getSession(request: RequestLike): Promise<Session | null>
  /**
   * The session where no cookie can be written (a React Server Component): with a session store,
   * a due refresh happens and is saved there; without one nothing is refreshed, since a rotated
   * refresh token that cannot be written back would be lost.
   */
  resolveSessionWithoutCookies(request: RequestLike): Promise<Session | null>
  /**
   * For middleware guarding pages and APIs: the session (as the `auth` context adapters attach)
   * with the cookies to set, or the response to answer instead (login redirect, 401, 403; 503
   * with `Retry-After` when the session store is unreachable).
   */
  requireSession(request: RequestLike, options?: RequireSessionOptions): Promise<SessionCheck>
  /**
   * For adapters: what `requireSession` would answer, when that is known without waiting (a signed-in
   * browser's cookie seen before, cookie mode, nothing to refresh or renew); `undefined` otherwise,
   * then call `requireSession`. Skips only the promise, never a check.
   */
  requireSessionNow(request: RequestLike, options?: RequireSessionOptions): SessionCheck | undefined
  /**
   * A `fetch` that calls your API with the session's access token: `Authorization: Bearer`, or
   * for DPoP-bound tokens (`dpop` option) `Authorization: DPoP` with a proof by the session's key
   * (the API's `use_dpop_nonce` answered once). Only to `allowedOrigins`. Resolve the session
   * first: this does not refresh it. Rejects with `ERR_ACCESS_TOKEN_MISSING` when it has no token.
   */
  sessionFetch(session: Session, options: SessionFetchOptions): AuthorizedFetch
  /**
   * The login route's URL for a page that needs a session (`returnTo` kept if same-origin), with
   * a step-up requirement (RFC 9470: `acr_values`, `max_age`) the login asks the provider for.
   */
  loginUrl(request: RequestLike, returnTo?: string, requirement?: AuthenticationRequirement): string
  /**
   * The signed-in user's sessions (created, last seen, browser, which is this one), newest first;
   * `null` when the request is signed out. Needs a `session.store` that indexes sessions by user
   * (`MemorySessionStore` does), else `ERR_SESSION_STORE_REQUIRED`.
   */
  listSessions(request: RequestLike): Promise<SessionSummary[] | null>
  /**
   * Ends one of the signed-in user's sessions, by the `handle` `listSessions` gave; whether it
   * existed. Only from this application (`Sec-Fetch-Site`/`Origin`), else `ERR_CROSS_SITE_REQUEST`.
   */
  revokeSession(request: RequestLike, handle: string): Promise<boolean>
  /**
   * "Sign out everywhere": ends every session of the signed-in user (`keepCurrent: true`: every
   * other one). Send the returned cookies with the response (they clear this browser's session).
   */
  revokeAllSessions(
    request: RequestLike,
    options?: { keepCurrent?: boolean },
  ): Promise<{ revoked: number; cookies: string[] }>
  /**
   * What to register for this application at the provider (RFC 7591 client metadata names):
   * `redirect_uris`, `post_logout_redirect_uris`, and with `backchannelLogout` on, the
   * `backchannel_logout_uri` with `backchannel_logout_session_required: true` (the provider then
   * names its session, `sid`, so signing out there ends only the sessions of that login here).
   * Absolute URLs on `baseUrl`, else on the origin of `request`.
   */
  registrationMetadata(request?: RequestLike): RegistrationMetadata
  /**
   * Signs the user in without the provider (a passkey, or another authentication your application
   * verified): a new session like a login's (new id, the previous one ended), without tokens, its
   * claims `options.user` plus `iss` (`localIssuer`), `auth_time` (now), `amr` and `acr`. Send the
   * returned cookies with the response. Only from this application's pages
   * (`Sec-Fetch-Site`/`Origin`), else `ERR_CROSS_SITE_REQUEST`. `onLogin` is not called.
   */
  signIn(request: RequestLike, options: SignInOptions): Promise<EstablishedSession>
  /**
   * Records that the signed-in user just authenticated again (a user-verified passkey assertion):
   * the session's `auth_time` becomes now and its `amr` (and `acr`, when given) what `options`
   * say, so `requireSession({ maxAge })` passes without a new login at the provider. `ERR_SESSION_REQUIRED`
   * (401) without a session, `ERR_STEP_UP_WRONG_USER` (403) when `options.sub` is another user.
   */
  stepUp(request: RequestLike, options: StepUpOptions): Promise<EstablishedSession>
  /** The resolved route paths (`login`, `callback`, `logout`, `session`, `backchannelLogout`). */
  readonly paths: Readonly<AuthConfig['paths']>
}

/** The client metadata {@link Auth.registrationMetadata} gives, in RFC 7591 / OpenID names. */
export interface RegistrationMetadata {
  redirect_uris: string[]
  post_logout_redirect_uris: string[]
  backchannel_logout_uri?: string
  backchannel_logout_session_required?: boolean
}

function clientFactory(options: AuthOptions): () => Promise<OAuthClient> {
  if (options.client !== undefined) {
    if (options.issuer !== undefined || options.clientId !== undefined) {
      throw new ConfigurationError('Give either "client" or "issuer" + "clientId", not both')
    }
    const client = Promise.resolve(options.client)
    return () => client
  }
  const { issuer, clientId } = options
  if (typeof issuer !== 'string' || typeof clientId !== 'string' || clientId.length === 0) {
    throw new ConfigurationError('"client", or "issuer" and "clientId", are required')
  }
  let pending: Promise<OAuthClient> | undefined
  return () => {
    pending ??= OAuthClient.discover(issuer, {
      // A key for this process, unless the options give one (a persistent key: see `dpop`).
      ...(options.dpop === 'client' ? { dpop: true as const } : {}),
      ...options.clientOptions,
      clientId,
      ...(options.clientSecret === undefined ? {} : { clientSecret: options.clientSecret }),
    }).catch((error: unknown) => {
      // A provider down at start-up must not break logins forever: the next request tries again.
      pending = undefined
      throw error
    })
    return pending
  }
}

/** Creates the web-login routes and session access for one OAuth client. Options are checked here. */
export function createAuth(options: AuthOptions): Auth {
  const config = resolveConfig(options)
  const siteOf = siteResolver(config)
  const client = clientFactory(options)
  const transactions = createSealer(config.secrets, 'transaction', config.now)
  const sessions = new SessionCookies(config, createSealer(config.secrets, 'session', config.now))
  const dpopKeys = new SessionDpopKeys(config, client)
  // The APIs' and the provider's DPoP nonces, for session calls.
  const dpopNonces = new DpopNonces()
  const resolver = new SessionResolver(config, sessions, client, dpopKeys)
  const manager = new SessionManager(config, sessions, resolver)
  const routes = new Map<string, (ctx: RouteContext) => Promise<Response>>([
    [config.paths.login, login],
    [config.paths.logout, logout],
    [config.paths.session, session],
  ])

  const fail = async (error: unknown, request: RequestLike, cookies: string[] = []): Promise<Response> => {
    if (!isAuthError(error)) throw error
    const custom = await options.onError?.(error, asRequest(request))
    if (custom !== undefined) {
      for (const cookie of cookies) custom.headers.append('set-cookie', cookie)
      return custom
    }
    const accept = request.headers.get('accept') ?? ''
    const response =
      accept.includes('application/json') && !accept.includes('text/html')
        ? json(
            {
              error: error.code,
              error_description: error.status >= 500 ? 'The login service failed' : error.message,
            },
            error.status,
            cookies,
          )
        : errorPage(error, config.paths.login, cookies)
    // A store that is down (503): the browser or client may come back shortly.
    const retryAfter = retryAfterOf(error)
    if (retryAfter !== undefined) response.headers.set('retry-after', String(retryAfter))
    return response
  }

  const contextOf = (request: Request): RouteContext => ({
    config,
    site: siteOf(request),
    request,
    cookies: parseCookies(request.headers.get('cookie')),
    client,
    transactions,
    sessions,
    resolver,
    dpopKeys,
  })

  /** What the session functions need of a request: its site and its cookies. */
  const sessionContextOf = (request: RequestLike) => ({
    site: siteOf(request),
    cookies: parseCookies(request.headers.get('cookie')),
  })

  const resolveSession = async (request: RequestLike): Promise<ResolvedSession> => {
    const ctx = sessionContextOf(request)
    return resolver.resolve(ctx.site, ctx.cookies)
  }
  const loginUrl = (
    request: RequestLike,
    returnTo?: string,
    requirement?: AuthenticationRequirement,
  ): string => {
    const { origin } = siteOf(request)
    const url = new URL(config.paths.login, origin)
    const safe = returnTo === undefined ? undefined : safeReturnTo(returnTo, origin)
    if (safe !== undefined) url.searchParams.set('returnTo', safe)
    const stepUp = authenticationRequirement(requirement)
    if (stepUp?.acrValues !== undefined) url.searchParams.set('acr_values', stepUp.acrValues.join(' '))
    if (stepUp?.maxAge !== undefined) url.searchParams.set('max_age', String(stepUp.maxAge))
    return url.pathname + url.search
  }
  const nowSeconds = (): number => Math.floor(config.now() / 1000)

  // The provider's issuer when known without asking it (a passkey sign-in never waits on discovery).
  const providerIssuer =
    options.issuer ??
    (options.client instanceof OAuthClient ? (options.client.metadata.issuer as string) : undefined)
  const signInContextOf = (request: RequestLike) => {
    const ctx = sessionContextOf(request)
    const issuer = localIssuerOf(config.localIssuer, ctx.site, providerIssuer)
    return { ...ctx, config, sessions, resolver, issuer }
  }

  const isBackchannel = (pathname: string): boolean =>
    config.backchannelLogout !== undefined && pathname === config.paths.backchannelLogout

  return {
    paths: config.paths,
    isAuthRoute: (pathname) =>
      routes.has(pathname) || pathname === config.paths.callback || isBackchannel(pathname),
    async handler(request) {
      const { pathname } = new URL(request.url)
      // Server to server: no cookie, no site, no same-origin check (the logout token is the proof).
      if (isBackchannel(pathname)) return backchannelLogout({ config, client, resolver }, request)
      let ctx: RouteContext
      try {
        ctx = contextOf(request)
      } catch (error) {
        return fail(error, request) // ERR_BASE_URL_REQUIRED: a Host this application was not set up for
      }
      if (pathname === config.paths.callback) {
        if (request.method !== 'GET' && request.method !== 'POST') {
          return fail(
            new SessionError('ERR_METHOD_NOT_ALLOWED', 'The callback takes GET or POST', 405),
            request,
          )
        }
        const result = await callback(ctx)
        return 'response' in result ? result.response : fail(result.error, request, result.cookies)
      }
      const route = routes.get(pathname)
      if (route === undefined) return json({ error: 'not_found', error_description: 'No such route' }, 404)
      if (pathname === config.paths.login && request.method !== 'GET') {
        return fail(new SessionError('ERR_METHOD_NOT_ALLOWED', 'Login takes GET', 405), request)
      }
      try {
        return await route(ctx)
      } catch (error) {
        return fail(error, request)
      }
    },
    resolveSession,
    async getSession(request) {
      const ctx = sessionContextOf(request)
      return resolver.peek(ctx.site, ctx.cookies)
    },
    async resolveSessionWithoutCookies(request) {
      if (config.store !== undefined) return (await resolveSession(request)).session
      const ctx = sessionContextOf(request)
      return resolver.peek(ctx.site, ctx.cookies)
    },
    async requireSession(request, options = {}) {
      let resolved: ResolvedSession
      try {
        resolved = await resolveSession(request)
      } catch (error) {
        // A session store that is down (503 with Retry-After) or a broken configuration (500):
        // answered here like every other refusal, so no adapter lets the request through or
        // turns it into its framework's bare 500.
        return { ok: false, response: await fail(error, request) }
      }
      const { session, cookies } = resolved
      return checkSession(request, session, cookies, loginUrl, options, nowSeconds())
    },
    requireSessionNow(request, options = {}) {
      let session: Session | undefined
      try {
        session = resolver.resolveCached(siteOf(request), request.headers.get('cookie'))
      } catch {
        return undefined // requireSession answers it (ERR_BASE_URL_REQUIRED)
      }
      if (session === undefined) return undefined
      return checkSession(request, session, [], loginUrl, options, nowSeconds())
    },
    loginUrl,
    sessionFetch: (session, fetchOptions) => createSessionFetch(dpopKeys, dpopNonces, session, fetchOptions),
    registrationMetadata(request) {
      if (config.baseUrl === undefined && request === undefined) {
        throw new ConfigurationError('registrationMetadata() needs a request when "baseUrl" is not set')
      }
      const { origin } =
        config.baseUrl === undefined ? siteOf(request as RequestLike) : { origin: config.baseUrl }
      return {
        redirect_uris: [`${origin}${config.paths.callback}`],
        post_logout_redirect_uris: [`${origin}${config.afterLogout}`],
        ...(config.backchannelLogout === undefined
          ? {}
          : {
              backchannel_logout_uri: `${origin}${config.paths.backchannelLogout}`,
              backchannel_logout_session_required: true,
            }),
      }
    },
    signIn: async (request, signInOptions) => signIn(signInContextOf(request), request, signInOptions),
    stepUp: async (request, stepUpOptions) => stepUp(signInContextOf(request), request, stepUpOptions),
    async listSessions(request) {
      const ctx = sessionContextOf(request)
      return manager.list(ctx.site, ctx.cookies)
    },
    async revokeSession(request, handle) {
      const ctx = sessionContextOf(request)
      return manager.revoke(request, ctx.site, ctx.cookies, handle)
    },
    async revokeAllSessions(request, options = {}) {
      const ctx = sessionContextOf(request)
      return manager.revokeAll(request, ctx.site, ctx.cookies, options.keepCurrent === true)
    },
  }
}

/**
 * What adapters accept for web login: an `Auth` already created is used as is; options create
 * one (checked now). Mirrors `resolveVerifier` for bearer tokens. `bridge` is the Node bridge's
 * settings: its fixed `origin` serves as `baseUrl`, and `trustProxy` (the origin taken from
 * `X-Forwarded-*`) as `trustHost`, unless the options set those themselves.
 */
export function resolveAuth(
  input: AuthOptions | Auth,
  bridge: { origin?: string | undefined; trustProxy?: boolean | undefined } = {},
): Auth {
  if (typeof (input as Partial<Auth>).handler === 'function') return input as Auth
  const options = input as AuthOptions
  return createAuth({
    ...options,
    // An unparsable origin is left to the bridge, whose check names its own option.
    ...(options.baseUrl === undefined && bridge.origin !== undefined && URL.canParse(bridge.origin)
      ? { baseUrl: bridge.origin }
      : {}),
    ...(options.trustHost === undefined && bridge.trustProxy === true ? { trustHost: true } : {}),
  })
}
