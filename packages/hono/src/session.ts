/**
 * Web login on Hono: the login routes as a sub-app, and `requireSession` for pages and APIs.
 * Everything protocol-related happens in `createAuth` (`@org/auth-core`); this file only moves
 * `Request`/`Response` and cookies between Hono and the core. No `node:` imports: it runs on
 * Workers, Bun, Deno and Node alike.
 */
import {
  type Auth,
  type AuthOptions,
  checkRequireSessionOptions,
  type RequireSessionOptions,
  resolveAuth,
  type SessionAuthContext,
  type SessionSummary,
} from '@org/auth-core'
import { type Context, Hono, type MiddlewareHandler } from 'hono'

/**
 * An app whose routes may or may not be behind {@link requireSession}: `c.var.auth` (the session
 * user) is there only where it ran; use {@link getSession} on public pages.
 */
export interface SessionEnv {
  Variables: { auth?: SessionAuthContext }
}

/**
 * What {@link requireSession} provides: `c.var.auth`, always there. A route's handlers after it
 * get this type by themselves; type a sub-app with it when `requireSession` guards all its routes.
 */
export interface SignedInEnv {
  Variables: { auth: SessionAuthContext }
}

/** The sub-app of {@link authRoutes}, carrying the `Auth` it serves (pass it to `requireSession`). */
export type AuthRoutesApp = Hono & { readonly auth: Auth }

/**
 * The login, callback, logout and session routes (at `basePath`, default `/auth`) as a Hono
 * sub-app: `app.route('/', authRoutes(config))`. Mount it at `/`; move the routes with `basePath`.
 * Takes `createAuth` options, or an `Auth` already created (to share it with other code).
 */
export function authRoutes(config: AuthOptions | Auth): AuthRoutesApp {
  const auth = resolveAuth(config)
  const app = new Hono()
  for (const path of new Set(Object.values(auth.paths))) {
    app.all(path, (c) => auth.handler(c.req.raw))
  }
  return Object.assign(app, { auth })
}

/** Adds `Set-Cookie` lines (session renewal or refresh) to the response a handler produced. */
function appendCookies(c: Context, cookies: readonly string[]): void {
  if (cookies.length === 0) return
  try {
    for (const cookie of cookies) c.res.headers.append('set-cookie', cookie)
  } catch {
    // Headers of a response passed through from fetch() are immutable: copy it once.
    c.res = new Response(c.res.body, c.res)
    for (const cookie of cookies) c.res.headers.append('set-cookie', cookie)
  }
}

/**
 * Requires a signed-in user: `c.var.auth` then holds `{ claims, token, scopes, session }`.
 * Without a session, page navigations are redirected to the login route (and back afterwards),
 * other requests get 401 JSON; `scopes` missing from the session's access token get 403.
 */
export function requireSession(
  auth: Auth | AuthRoutesApp,
  options: RequireSessionOptions = {},
): MiddlewareHandler<SignedInEnv> {
  const instance = instanceOf(auth)
  // Scope names are checked now: a malformed one would otherwise refuse every request (403).
  checkRequireSessionOptions(options)
  return async function requireSessionMiddleware(c, next) {
    const check = await instance.requireSession(c.req.raw, options)
    if (!check.ok) return check.response
    c.set('auth', check.auth)
    await next()
    appendCookies(c, check.cookies)
  }
}

/**
 * The session, read-only (`null` when signed out), for pages that show either state. It never
 * refreshes or renews: put `requireSession` on routes that need a fresh access token.
 */
export function getSession(auth: Auth | AuthRoutesApp, c: Context): ReturnType<Auth['getSession']> {
  return instanceOf(auth).getSession(c.req.raw)
}

/**
 * The signed-in user's sessions (created, last seen, browser, `current`), newest first; `null`
 * when signed out. Needs a `session.store` that indexes sessions by user.
 */
export function listSessions(auth: Auth | AuthRoutesApp, c: Context): Promise<SessionSummary[] | null> {
  return instanceOf(auth).listSessions(c.req.raw)
}

/** Ends one of the signed-in user's sessions (by `handle`); whether it existed. Same-origin requests only. */
export function revokeSession(auth: Auth | AuthRoutesApp, c: Context, handle: string): Promise<boolean> {
  return instanceOf(auth).revokeSession(c.req.raw, handle)
}

/**
 * "Sign out everywhere" for the signed-in user (`keepCurrent`: everywhere else); the number of
 * sessions ended. The response clears this browser's cookie when its session ended too.
 */
export async function revokeAllSessions(
  auth: Auth | AuthRoutesApp,
  c: Context,
  options: { keepCurrent?: boolean } = {},
): Promise<number> {
  const { revoked, cookies } = await instanceOf(auth).revokeAllSessions(c.req.raw, options)
  for (const cookie of cookies) c.header('set-cookie', cookie, { append: true })
  return revoked
}

function instanceOf(auth: Auth | AuthRoutesApp): Auth {
  return 'auth' in auth ? auth.auth : auth
}
