/**
 * `createNextAuth`: everything a Next.js App Router app needs from one configuration. The
 * protocol (login, callback, sessions, refresh, bearer checks) is `@org/auth-core`'s; this file
 * only hands it Next's requests and puts its answers where Next allows them.
 */
import type { Auth, Session } from '@org/auth-core'
import { instanceOf, loginNotConfigured, type NextAuthConfig } from './options.js'
import { type AuthProxy, type AuthProxyOptions, createAuthProxy } from './proxy.js'
import { createWithAuth, createWithSession, type WithAuth, type WithSession } from './route-handlers.js'
import { sessionReaders } from './session.js'
import { type SessionManagement, sessionManagement } from './session-management.js'

/** The login routes' handlers: `export const { GET, POST } = handlers` in `app/api/auth/[...auth]/route.ts`. */
export interface AuthRouteHandlers {
  GET(request: Request): Promise<Response>
  POST(request: Request): Promise<Response>
}

export interface NextAuth extends SessionManagement {
  /** The login, callback, logout and session routes, for the catch-all route file under `basePath`. */
  readonly handlers: AuthRouteHandlers
  /**
   * Server Components (and anywhere `next/headers` works): the session or `null`, never writing
   * a cookie. With a session store a due refresh happens and is saved server-side; in cookie
   * mode the proxy refreshes before the page renders.
   */
  getSession(): Promise<Session | null>
  /**
   * Server Actions and route handlers (where Next lets `cookies().set()` write): the session or
   * `null`, refreshed when due and renewed, with the cookie rewritten. Not for Server Components,
   * where Next refuses the write (and the answer is `null`).
   */
  getSessionInAction(): Promise<Session | null>
  /** The session of a given `Request` or `null`; like `getSession`, it writes no cookie. */
  getSessionFromRequest(request: Request): Promise<Session | null>
  /**
   * Server Components and Actions that need a user: the session, or a redirect to the login
   * route (coming back to `returnTo`, a same-origin path, when given).
   */
  requireSession(returnTo?: string): Promise<Session>
  /** Bearer-protected route handlers (RFC 6750 401/400/403/503 answers). */
  readonly withAuth: WithAuth
  /** Session-protected route handlers (401 JSON, login redirect for navigations, 403 for scopes). */
  readonly withSession: WithSession
  /** The proxy (`proxy.ts` on Next 16, `middleware.ts` on Next 15); see `AuthProxyOptions`. */
  proxy(options?: AuthProxyOptions): AuthProxy
  /**
   * The core `Auth` behind the login (created on first use when the config is a function, or
   * during `next build`); throws `ERR_LOGIN_NOT_CONFIGURED` for a bearer-only configuration.
   */
  auth(): Auth
}

/**
 * Creates the adapter. Given options, they are checked now (a `ConfigurationError` names the
 * bad one), except while `next build` runs: then they are checked on first use, so a build
 * environment without the run time's secrets still builds. Given a function, it is called on
 * first use. Either way, until the configuration is valid, handlers and the proxy fail with 500
 * and every `getSession*` answers `null`: never open. With only a `verifier`, the adapter is
 * bearer-only: what needs a login throws `ERR_LOGIN_NOT_CONFIGURED` when used.
 */
export function createNextAuth(config: NextAuthConfig): NextAuth {
  const instance = instanceOf(config)
  const login = (): Auth => instance.login() ?? throwNotConfigured()
  // Options known now are checked now: a route module using what is not configured fails to load.
  const requireLogin = () => {
    if (instance.declared?.login === false) throw loginNotConfigured()
  }
  const handler = async (request: Request) => login().handler(request)
  return {
    handlers: { GET: handler, POST: handler },
    ...sessionReaders(instance),
    ...sessionManagement(login),
    withAuth: createWithAuth(instance),
    withSession: createWithSession(login, requireLogin),
    proxy: (options) => {
      requireLogin()
      return createAuthProxy(login, options)
    },
    auth: login,
  }
}

function throwNotConfigured(): never {
  throw loginNotConfigured()
}
