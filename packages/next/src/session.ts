/// <reference path="./next-modules.d.ts" />
/**
 * The signed-in user in Server Components, Server Actions and route handlers: one explicit
 * function per place, since what may happen there differs (next-auth's single `auth()` had to
 * guess its context). Each answers `null` on any failure, never an error object a truthy check
 * would let through (GHSA-8fpg-xm3f-6cx3); Next's own control-flow errors pass through, and so
 * does `ERR_LOGIN_NOT_CONFIGURED` (a bearer-only configuration asked for a session: a bug in the
 * app, not a failure of the request).
 *
 * Where the session cookie can be rewritten (a refreshed access token, a rolling renewal):
 * the proxy, route handlers and Server Actions. Not Server Components: Next refuses cookie
 * writes while rendering.
 */
import type { Auth, Session } from '@org/auth-core'
import { cookies, headers } from 'next/headers'
import { redirect, unstable_rethrow } from 'next/navigation'
import { connection } from 'next/server'
import { parseSetCookie } from './cookie-header.js'
import { loginNotConfigured, type NextAuthInstance } from './options.js'

/**
 * A body-less Request for the current request, rebuilt from `headers()` and `cookies()` (the
 * latter includes cookies the proxy set). Only the cookies and the origin matter to the core;
 * the origin decides the cookie name (`__Host-` on https), so set `baseUrl` in production.
 *
 * Nothing before it reads the clock, and `connection()` comes before the core does: a session is
 * valid until a time, so its answer belongs to one actual request. With `cacheComponents`, Next
 * refuses `Date.now()` while prerendering, and also in a runtime prefetch (`partialPrefetching`),
 * where cookies are readable but the result is kept for later navigations; `connection()` never
 * resolves in a prerender and holds a runtime prefetch back until request time.
 */
export async function currentRequest(): Promise<Request> {
  const [list, jar] = await Promise.all([headers(), cookies()])
  await connection()
  const proto = list.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http'
  const host = list.get('host') ?? 'localhost'
  const cookie = jar
    .getAll()
    .map(({ name, value }) => `${name}=${value}`)
    .join('; ')
  // The browser's own same-origin signals, for the core's checks on revocations (Server Actions).
  const forwarded: Record<string, string> = { cookie }
  for (const name of ['origin', 'sec-fetch-site']) {
    const value = list.get(name)
    if (value !== null) forwarded[name] = value
  }
  return new Request(`${proto}://${host}/`, { headers: forwarded })
}

/** Writes the core's `Set-Cookie` lines through `cookies().set()` (Server Actions, route handlers). */
export async function setCookies(lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return
  const jar = await cookies()
  for (const line of lines) {
    // A deletion is a `Max-Age=0` line, which `set` writes as is.
    const cookie = parseSetCookie(line)
    if (cookie !== undefined) jar.set(cookie)
  }
}

/**
 * `read` with the login's `Auth` and the request (`currentRequest()` unless given): `null` for
 * any failure, an invalid configuration included, but Next's own signals (redirect, dynamic
 * rendering...), which are rethrown. A bearer-only configuration throws `ERR_LOGIN_NOT_CONFIGURED`.
 */
async function orNull(
  instance: NextAuthInstance,
  read: (auth: Auth, request: Request) => Promise<Session | null>,
  given?: Request,
): Promise<Session | null> {
  let auth: Auth | undefined
  try {
    // The request first: during a prerender it suspends (or throws Next's signal) before the
    // configuration is touched, so a broken one cannot prerender the page as signed out.
    const request = given ?? (await currentRequest())
    auth = instance.login()
    if (auth !== undefined) return await read(auth, request)
  } catch (error) {
    unstable_rethrow(error)
    return null
  }
  throw loginNotConfigured()
}

export interface SessionReaders {
  getSession(): Promise<Session | null>
  getSessionInAction(): Promise<Session | null>
  getSessionFromRequest(request: Request): Promise<Session | null>
  requireSession(returnTo?: string): Promise<Session>
}

export function sessionReaders(instance: NextAuthInstance): SessionReaders {
  // The core decides: with a store a due refresh is saved server-side; in cookie mode nothing is
  // refreshed here (the proxy has done it before the page rendered).
  const forComponent = (auth: Auth, request: Request): Promise<Session | null> =>
    auth.resolveSessionWithoutCookies(request)

  return {
    getSession: () => orNull(instance, forComponent),

    getSessionInAction: () =>
      orNull(instance, async (auth, request) => {
        const { session, cookies: lines } = await auth.resolveSession(request)
        await setCookies(lines)
        return session
      }),

    getSessionFromRequest: (request) => orNull(instance, forComponent, request),

    async requireSession(returnTo): Promise<Session> {
      const session = await orNull(instance, forComponent)
      if (session === null) {
        // The core builds the login URL (and owns what `returnTo` may be), as for every adapter.
        const auth = instance.login() ?? throwNotConfigured()
        redirect(auth.loginUrl(await currentRequest(), returnTo))
      }
      return session
    },
  }
}

function throwNotConfigured(): never {
  throw loginNotConfigured()
}
