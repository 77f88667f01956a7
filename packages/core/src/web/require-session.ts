/**
 * What every adapter's `requireSession()` does, framework-neutral: the session, or the answer
 * to send instead. A page navigation is redirected to the login route (returning to the same
 * page afterwards); anything else (fetch, API clients) gets 401 JSON, since a redirect to an
 * HTML login page is useless to a script.
 */
import { missingScopes, parseScope, scopeNames } from '../scopes.js'
import { type AuthenticationRequirement, authenticationRequirement, unmetAuthentication } from '../step-up.js'
import type { RequestLike } from './request-like.js'
import { json, redirect } from './responses.js'
import type { Session } from './session-resolver.js'

/** What adapters attach to a request signed in with a session (`req.auth`, `c.var.auth`). */
export interface SessionAuthContext {
  /** The user's ID-token claims. */
  readonly claims: Session['user']
  /** The session's access token (for calling your API server-side), when there is one. */
  readonly token: string | undefined
  /** Scopes granted to the access token. */
  readonly scopes: readonly string[]
  /** The whole session. */
  readonly session: Session
}

export interface RequireSessionOptions {
  /**
   * `redirect`: always redirect to login; `401`: always answer 401 JSON; `auto`: redirect page
   * navigations (`Sec-Fetch-Mode: navigate`, or a GET that accepts HTML), 401 for the rest.
   * Default: `auto`.
   */
  onMissing?: 'auto' | 'redirect' | '401'
  /** Scopes the session's access token must have; missing ones answer 403. Default: none. */
  scopes?: readonly string[]
  /**
   * Step-up (RFC 9470): `acr` values the user's login must have one of. A page navigation is
   * sent to the login route, which asks the provider for them (`acr_values`); anything else gets
   * 401 `insufficient_user_authentication`. Default: none.
   */
  acrValues?: readonly string[]
  /**
   * Step-up (RFC 9470): the user must have authenticated at most this many seconds ago
   * (`auth_time`); otherwise they sign in again (`max_age`), as for `acrValues`. Default: none.
   */
  maxAge?: number
}

/**
 * Checks a guard's options at start-up (scope names, the step-up requirement) and returns them:
 * a malformed one would otherwise refuse every request. Every adapter's `requireSession` calls it.
 */
export function checkRequireSessionOptions<O extends RequireSessionOptions>(options: O): O {
  if (options.scopes !== undefined) scopeNames(options.scopes)
  authenticationRequirement({
    ...(options.acrValues === undefined ? {} : { acrValues: options.acrValues }),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  })
  return options
}

/** Builds the login route's URL for a page: where to come back, and any step-up to ask for. */
export type LoginUrlBuilder = (
  request: RequestLike,
  returnTo: string,
  requirement?: Readonly<AuthenticationRequirement>,
) => string

export type SessionCheck =
  | { ok: true; auth: SessionAuthContext; cookies: string[] }
  | { ok: false; response: Response }

/**
 * The context of each frozen session handed out: the requests of one cookie share its `Session`
 * (see `resolveCached`), and so this context, built once. A session made by hand and not frozen
 * gets a new one each time, since it may have changed.
 */
const contexts = new WeakMap<Session, SessionAuthContext>()

export function sessionAuthContext(session: Session): SessionAuthContext {
  let context = contexts.get(session)
  if (context === undefined) {
    // Frozen, like the session and the scopes: requests may share it.
    context = Object.freeze({
      claims: session.user,
      token: session.accessToken,
      scopes: parseScope(session.scope),
      session,
    })
    if (Object.isFrozen(session)) contexts.set(session, context)
  }
  return context
}

function isNavigation(request: RequestLike): boolean {
  const mode = request.headers.get('sec-fetch-mode')
  if (mode !== null) return mode === 'navigate'
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    (request.headers.get('accept') ?? '').includes('text/html')
  )
}

/** Turns a resolved session into the check's outcome, for `createAuth().requireSession`. */
export function checkSession(
  request: RequestLike,
  session: Session | null,
  cookies: string[],
  loginUrl: LoginUrlBuilder,
  options: RequireSessionOptions,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SessionCheck {
  const mode = options.onMissing ?? 'auto'
  const toLogin = mode === 'redirect' || (mode === 'auto' && isNavigation(request))
  if (session === null) {
    if (toLogin) {
      const url = new URL(request.url)
      return { ok: false, response: redirect(loginUrl(request, url.pathname + url.search), cookies) }
    }
    return {
      ok: false,
      response: json({ error: 'unauthorized', error_description: 'Sign-in required' }, 401, cookies),
    }
  }
  const stepUp = stepUpResponse(request, session, cookies, loginUrl, options, toLogin, nowSeconds)
  if (stepUp !== undefined) return { ok: false, response: stepUp }
  const auth = sessionAuthContext(session)
  if (missingScopes(auth, options.scopes ?? []).length > 0) {
    const body = { error: 'insufficient_scope', error_description: 'The session lacks a required scope' }
    return { ok: false, response: json(body, 403, cookies) }
  }
  return { ok: true, auth, cookies }
}

/**
 * The answer to a session whose login is too weak or too old for the page (RFC 9470), or
 * `undefined` when it is strong and recent enough (or nothing is required). A navigation goes
 * to the login route with the requirement; the login route asks the provider for it and the
 * callback checks the new ID token meets it, so a provider that ignores it cannot loop the browser.
 */
function stepUpResponse(
  request: RequestLike,
  session: Session,
  cookies: string[],
  loginUrl: LoginUrlBuilder,
  options: RequireSessionOptions,
  toLogin: boolean,
  nowSeconds: number,
): Response | undefined {
  if (options.acrValues === undefined && options.maxAge === undefined) return undefined
  const requirement = authenticationRequirement({
    ...(options.acrValues === undefined ? {} : { acrValues: options.acrValues }),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  })
  if (requirement === undefined) return undefined
  const unmet = unmetAuthentication(session.user, requirement, nowSeconds)
  if (unmet === undefined) return undefined
  if (toLogin) {
    const url = new URL(request.url)
    return redirect(loginUrl(request, url.pathname + url.search, requirement), cookies)
  }
  const body = {
    error: 'insufficient_user_authentication',
    error_description: unmet,
    ...(requirement.acrValues === undefined ? {} : { acr_values: requirement.acrValues.join(' ') }),
    ...(requirement.maxAge === undefined ? {} : { max_age: requirement.maxAge }),
  }
  return json(body, 401, cookies)
}
