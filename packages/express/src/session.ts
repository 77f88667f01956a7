/**
 * Web login on Express: `auth()` serves the login routes through the core's Node bridge, and
 * `requireSession()` guards pages and APIs. Protocol and cookies are handled by `createAuth` in
 * `@org/auth-core`; this file moves requests, responses and cookies between Express and it.
 */
import {
  type Auth,
  type AuthOptions,
  ConfigurationError,
  checkRequireSessionOptions,
  type RequestLike,
  type RequireSessionOptions,
  resolveAuth,
  type Session,
  type SessionCheck,
  type SessionSummary,
} from '@org/auth-core'
import {
  nodeHandler,
  sendWebResponse,
  sessionRequestBuilder,
  type ToWebRequestOptions,
} from '@org/auth-core/node'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { requestSlots, setAuth } from './request-auth.js'

/** Node-bridge options of {@link auth}: how the public URL of a request is found, and the body limit. */
export type AuthMiddlewareOptions = Pick<ToWebRequestOptions, 'bodyLimit' | 'trustProxy' | 'origin'>

const AUTH = Symbol.for('@org/auth-express/auth')
type SessionRequest = (req: Request) => RequestLike
type AuthState = { auth: Auth; sessionRequest: SessionRequest }

/** The middleware of {@link auth}, carrying the `Auth` it serves. */
export type AuthMiddleware = RequestHandler & { readonly auth: Auth }

/**
 * Mounts the login, callback, logout and session routes (under `basePath`, default `/auth`):
 * `app.use(auth(config))`, at the application's root. Takes `createAuth` options or an `Auth`.
 * Also makes the `Auth` available to {@link requireSession} and {@link getSession} on every
 * request after it. Set `baseUrl` in the config (or `origin` here) for anything but local
 * development; behind a proxy that sets `X-Forwarded-*`, `trustProxy` here trusts the host it forwards.
 */
export function auth(config: AuthOptions | Auth, options: AuthMiddlewareOptions = {}): AuthMiddleware {
  const instance = resolveAuth(config, options)
  const serve = nodeHandler(instance.handler, options)
  // The session functions' requests, built with these options (checked once, here).
  const state = { auth: instance, sessionRequest: sessionRequestBuilder(options) }
  const middleware: RequestHandler = function authMiddleware(req, res, next) {
    requestSlots(req)[AUTH] = state
    // The full path, as the bridge gives it to the handler, wherever this middleware is mounted.
    const query = req.originalUrl.indexOf('?')
    const pathname = query === -1 ? req.originalUrl : req.originalUrl.slice(0, query)
    if (instance.isAuthRoute(pathname)) serve(req, res, next)
    else next()
  }
  return Object.assign(middleware, { auth: instance })
}

function stateOf(req: Request) {
  const state = requestSlots(req)[AUTH] as AuthState | undefined
  if (state === undefined) {
    throw new ConfigurationError(
      'requireSession() and getSession() need app.use(auth(config)) before them (and res.locals kept, not replaced)',
    )
  }
  return state
}

/**
 * Requires a signed-in user: `getAuth(req)` (and `req.auth`) then holds `{ claims, token, scopes, session }`.
 * Without a session, page navigations are redirected to the login route (and back afterwards),
 * other requests get 401 JSON; `scopes` missing from the session's access token get 403.
 * Renewal and refresh cookies are added to the response.
 */
export function requireSession(options: RequireSessionOptions = {}): RequestHandler {
  // Scope names are checked now: a malformed one would otherwise refuse every request (403).
  checkRequireSessionOptions(options)
  return function requireSessionMiddleware(req: Request, res: Response, next: NextFunction): void {
    let now: SessionCheck | undefined
    let pending: Promise<SessionCheck> | undefined
    try {
      const { auth, sessionRequest } = stateOf(req)
      const request = sessionRequest(req)
      // A signed-in browser's cookie seen before: answered without a promise (an Auth from another
      // copy of the core may not have requireSessionNow).
      now = auth.requireSessionNow?.(request, options)
      if (now === undefined) pending = auth.requireSession(request, options)
    } catch (error) {
      next(error)
      return
    }
    if (now !== undefined) settle(req, res, next, now)
    else pending?.then((check) => settle(req, res, next, check), next)
  }
}

/** Answers a refused check, or records the session (and its cookies) and goes on. */
function settle(req: Request, res: Response, next: NextFunction, check: SessionCheck): void {
  if (!check.ok) {
    sendWebResponse(res, check.response).catch(next)
    return
  }
  for (const cookie of check.cookies) res.append('Set-Cookie', cookie)
  setAuth(req, check.auth)
  next()
}

/**
 * The session, read-only (`null` when signed out), for pages that show either state. It never
 * refreshes or renews: put `requireSession()` on routes that need a fresh access token.
 */
export async function getSession(req: Request): Promise<Session | null> {
  const { auth, sessionRequest } = stateOf(req)
  return auth.getSession(sessionRequest(req))
}

/**
 * The signed-in user's sessions (created, last seen, browser, `current`), newest first; `null`
 * when signed out. Needs a `session.store` that indexes sessions by user.
 */
export async function listSessions(req: Request): Promise<SessionSummary[] | null> {
  const { auth, sessionRequest } = stateOf(req)
  return auth.listSessions(sessionRequest(req))
}

/** Ends one of the signed-in user's sessions (by `handle`); whether it existed. Same-origin requests only. */
export async function revokeSession(req: Request, handle: string): Promise<boolean> {
  const { auth, sessionRequest } = stateOf(req)
  return auth.revokeSession(sessionRequest(req), handle)
}

/**
 * "Sign out everywhere" for the signed-in user (`keepCurrent`: everywhere else); the number of
 * sessions ended. Clears this browser's cookie on `res` when its session ended too.
 */
export async function revokeAllSessions(
  req: Request,
  res: Response,
  options: { keepCurrent?: boolean } = {},
): Promise<number> {
  const { auth, sessionRequest } = stateOf(req)
  const { revoked, cookies } = await auth.revokeAllSessions(sessionRequest(req), options)
  for (const cookie of cookies) res.append('Set-Cookie', cookie)
  return revoked
}
