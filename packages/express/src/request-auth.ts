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
type Carrier = { [CONTEXT]?: RequestAuth; auth?: unknown }

/** Records the request's authentication (after requireAuth / requireSession succeeded). */
export function setAuth(req: Request, auth: RequestAuth): void {
  const carrier = req as unknown as Carrier
  carrier[CONTEXT] = auth
  carrier.auth = auth
}

/**
 * The request's authentication, once `requireAuth()` or `requireSession()` accepted it;
 * `undefined` on a route they do not guard. A session's has `session`: tell them apart with
 * `'session' in auth`. Read from this package's own slot, so a library that also sets `req.auth`
 * cannot change what it returns.
 */
export function getAuth<C extends JWTClaims = JWTClaims>(req: Request): RequestAuth<C> | undefined {
  return (req as unknown as Carrier)[CONTEXT] as RequestAuth<C> | undefined
}
