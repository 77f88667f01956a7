/**
 * What every adapter's `requireSession()` does, framework-neutral: the session, or the answer
 * to send instead. A page navigation is redirected to the login route (returning to the same
 * page afterwards); anything else (fetch, API clients) gets 401 JSON, since a redirect to an
 * HTML login page is useless to a script.
 */
import { missingScopes, parseScope } from '../scopes.js'
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
}

export type SessionCheck =
  | { ok: true; auth: SessionAuthContext; cookies: string[] }
  | { ok: false; response: Response }

export function sessionAuthContext(session: Session): SessionAuthContext {
  return Object.freeze({
    claims: session.user,
    token: session.accessToken,
    scopes: parseScope(session.scope),
    session,
  })
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
  loginUrl: (request: RequestLike, returnTo: string) => string,
  options: RequireSessionOptions,
): SessionCheck {
  if (session === null) {
    const mode = options.onMissing ?? 'auto'
    if (mode === 'redirect' || (mode === 'auto' && isNavigation(request))) {
      const url = new URL(request.url)
      return { ok: false, response: redirect(loginUrl(request, url.pathname + url.search), cookies) }
    }
    return {
      ok: false,
      response: json({ error: 'unauthorized', error_description: 'Sign-in required' }, 401, cookies),
    }
  }
  const auth = sessionAuthContext(session)
  if (missingScopes(auth, options.scopes ?? []).length > 0) {
    const body = { error: 'insufficient_scope', error_description: 'The session lacks a required scope' }
    return { ok: false, response: json(body, 403, cookies) }
  }
  return { ok: true, auth, cookies }
}
