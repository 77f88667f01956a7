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
 * Where this package keeps its per-request values: Express's `res.locals` (a dictionary it makes for
 * every request), else the request itself. Express gives each request object a map of its own
 * (it swaps the prototype after Node built it), so every property added to `req` builds a new
 * hidden class: measured under load, the two symbols this package used to add cost about 5 µs
 * per request, a dictionary entry next to nothing. Symbol keys: invisible to templates and JSON.
 */
export function requestSlots(req: Request): Record<symbol, unknown> {
  const locals = (req as unknown as Carrier).res?.locals
  return typeof locals === 'object' && locals !== null ? locals : (req as unknown as Record<symbol, unknown>)
}

/** Records the request's authentication (after requireAuth / requireSession succeeded). */
export function setAuth(req: Request, auth: RequestAuth): void {
  requestSlots(req)[CONTEXT] = auth
  ;(req as unknown as Carrier).auth = auth
}

/**
 * The request's authentication, once `requireAuth()` or `requireSession()` accepted it;
 * `undefined` on a route they do not guard. A session's has `session`: tell them apart with
 * `'session' in auth`. Read from this package's own slot, so a library that also sets `req.auth`
 * cannot change what it returns.
 */
export function getAuth<C extends JWTClaims = JWTClaims>(req: Request): RequestAuth<C> | undefined {
  return requestSlots(req)[CONTEXT] as RequestAuth<C> | undefined
}
