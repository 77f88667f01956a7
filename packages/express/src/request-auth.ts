/**
 * Where the middleware leaves what it authenticated. `getAuth(req)` is the typed way to read it;
 * `req.auth` holds the same value, typed only for apps that opt in with
 * `import '@org/auth-express/globals'`: a global `req.auth` declared by default would clash
 * (TS2717) with other libraries that declare their own, as express-oauth2-jwt-bearer does, and
 * break type-checking during a gradual migration.
 */
import type { AuthContext, JWTClaims, SessionAuthContext } from '@org/auth-core'
import type { Request } from 'express'

/** What `requireAuth()` (a bearer token) or `requireSession()` (a session) authenticated. */
export type RequestAuth<C extends JWTClaims = JWTClaims> = AuthContext<C> | SessionAuthContext

// A registry symbol: another installed copy of this package (ESM beside CommonJS) finds it too.
const CONTEXT = Symbol.for('@org/auth-express/request-auth')

/** The request as this file sees it: whatever another library declares `req.auth` as, it is set here. */
type Carrier = { [CONTEXT]?: RequestAuth; auth?: unknown; res?: { locals?: Record<symbol, unknown> } }

/**
 * What each request authenticated, by request object, in one map shared by every copy of this
 * package in the process (under the registry symbol). Not a property of `req`: Express gives every
 * request object a hidden class of its own (it swaps the prototype after Node built it), so each
 * property added to `req` builds a new one (measured under load: 2–3 µs each); a map entry changes
 * nothing on the object. Not `res.locals` either: an application could make that one object for
 * every request, and then one request would read another's authentication.
 */
const registry = globalThis as Record<symbol, unknown>
registry[CONTEXT] ??= new WeakMap<object, RequestAuth>()
const contexts = registry[CONTEXT] as WeakMap<object, RequestAuth>

/**
 * Where `auth()` leaves its per-app state for `requireSession()` and the session functions:
 * Express's `res.locals` (a dictionary it makes for every request), else the request itself.
 * The state is the same for every request of the app, so nothing per request is kept there.
 */
export function requestSlots(req: Request): Record<symbol, unknown> {
  const locals = (req as unknown as Carrier).res?.locals
  return typeof locals === 'object' && locals !== null ? locals : (req as unknown as Record<symbol, unknown>)
}

/** Records the request's authentication (after requireAuth / requireSession succeeded). */
export function setAuth(req: Request, auth: RequestAuth): void {
  contexts.set(req, auth)
  ;(req as unknown as Carrier).auth = auth
}

/**
 * The request's authentication, once `requireAuth()` or `requireSession()` accepted it;
 * `undefined` on a route they do not guard. A session's has `session`: tell them apart with
 * `'session' in auth`. Read from this package's own record, so a library that also sets
 * `req.auth` cannot change what it returns.
 */
export function getAuth<C extends JWTClaims = JWTClaims>(req: Request): RequestAuth<C> | undefined {
  // The symbol on `req`: where a copy of this package older than the map recorded it.
  return (contexts.get(req) ?? (req as unknown as Carrier)[CONTEXT]) as RequestAuth<C> | undefined
}
