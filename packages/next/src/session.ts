/**
 * The signed-in user in Server Components, Server Actions and route handlers: one explicit
 * function per place, since what may happen there differs (next-auth's single `auth()` had to
 * guess its context). Each answers `null` on any failure, never an error object a truthy check
 * would let through (GHSA-8fpg-xm3f-6cx3); Next's own control-flow errors pass through.
 *
 * Where the session cookie can be rewritten (a refreshed access token, a rolling renewal):
 * the proxy, route handlers and Server Actions. Not Server Components: Next refuses cookie
 * writes while rendering.
 */
import type { Session } from '@org/auth-core'
import { cookies, headers } from 'next/headers.js'
import { redirect, unstable_rethrow } from 'next/navigation.js'
import { parseSetCookie } from './cookie-header.js'
import type { NextAuthInstance } from './options.js'

/**
 * A body-less Request for the current request, rebuilt from `headers()` and `cookies()` (the
 * latter includes cookies the proxy set). Only the cookies and the origin matter to the core;
 * the origin decides the cookie name (`__Host-` on https), so set `baseUrl` in production.
 */
async function currentRequest(): Promise<Request> {
  const [list, jar] = await Promise.all([headers(), cookies()])
  const proto = list.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http'
  const host = list.get('host') ?? 'localhost'
  const cookie = jar
    .getAll()
    .map(({ name, value }) => `${name}=${value}`)
    .join('; ')
  return new Request(`${proto}://${host}/`, { headers: { cookie } })
}

/** Runs `read`; `null` for any failure but Next's own signals (redirect, dynamic rendering...). */
async function orNull(read: () => Promise<Session | null>): Promise<Session | null> {
  try {
    return await read()
  } catch (error) {
    unstable_rethrow(error)
    return null
  }
}

export interface SessionReaders {
  getSession(): Promise<Session | null>
  getSessionInAction(): Promise<Session | null>
  getSessionFromRequest(request: Request): Promise<Session | null>
  requireSession(returnTo?: string): Promise<Session>
}

export function sessionReaders(instance: () => NextAuthInstance): SessionReaders {
  // The core decides: with a store a due refresh is saved server-side; in cookie mode nothing is
  // refreshed here (the proxy has done it before the page rendered).
  const forComponent = (request: Request): Promise<Session | null> =>
    instance().auth.resolveSessionWithoutCookies(request)

  return {
    getSession: () => orNull(async () => forComponent(await currentRequest())),

    getSessionInAction: () =>
      orNull(async () => {
        const { session, cookies: lines } = await instance().auth.resolveSession(await currentRequest())
        const jar = await cookies()
        for (const line of lines) {
          // A deletion is a `Max-Age=0` line, which `set` writes as is.
          const cookie = parseSetCookie(line)
          if (cookie !== undefined) jar.set(cookie)
        }
        return session
      }),

    getSessionFromRequest: (request) => orNull(() => forComponent(request)),

    async requireSession(returnTo): Promise<Session> {
      const session = await orNull(async () => forComponent(await currentRequest()))
      if (session === null) {
        // The core builds the login URL (and owns what `returnTo` may be), as for every adapter.
        redirect(instance().auth.loginUrl(await currentRequest(), returnTo))
      }
      return session
    },
  }
}
