/**
 * The proxy (Next 16 `proxy.ts`; `middleware.ts` on Next 15): keeps sessions fresh and sends
 * signed-out visitors of protected pages to the login. It is the one place before a page renders
 * where Next lets a response set cookies, so a due access-token refresh happens here, and the
 * rewritten cookie is also handed to the page rendered in the same request.
 *
 * The proxy is a convenience, never the only guard: pages and route handlers check the session
 * themselves (CVE-2025-29927 let a header skip Next middleware entirely).
 *
 * Imports nothing from `node:` (nor does the core's default entry): it runs on the edge runtime.
 */
import type { Auth, RequireSessionOptions } from '@org/auth-core'
import { NextResponse } from 'next/server.js'
import { applySetCookies, withSetCookies } from './cookie-header.js'

export interface AuthProxyOptions {
  /**
   * Pages that need a session: path prefixes (`'/account'` covers `/account` and
   * `/account/...`, not `/accounts`), or a predicate on the pathname. Everything else only has
   * its session kept fresh. Default: none.
   */
  protect?: readonly string[] | ((pathname: string, request: Request) => boolean)
  /**
   * What a protected request without a session gets: `auto` redirects page navigations to the
   * login route (and back afterwards) and answers 401 JSON to other requests; `redirect` and
   * `401` always do that one thing. Default: `auto`.
   */
  onMissing?: RequireSessionOptions['onMissing']
  /** Scopes the session's access token must have on protected paths (403 JSON otherwise). Default: none. */
  scopes?: readonly string[]
}

/** A proxy / middleware function: `export const proxy = createAuthProxy(auth, options)`. */
export type AuthProxy = (request: Request) => Promise<Response>

function protectionOf(protect: AuthProxyOptions['protect']): (pathname: string, request: Request) => boolean {
  if (typeof protect === 'function') return protect
  const prefixes = [...(protect ?? [])]
  for (const prefix of prefixes) {
    if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
      throw new TypeError(`"protect" entries must be paths starting with "/", got ${JSON.stringify(prefix)}`)
    }
  }
  const trimmed = prefixes.map((prefix) => (prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix))
  return (pathname) =>
    trimmed.some((prefix) => prefix === '/' || pathname === prefix || pathname.startsWith(`${prefix}/`))
}

/** Lets the request through; with cookies, also as its `Cookie` header, so the page sees them. */
function forward(request: Request, setCookies: readonly string[]): Response {
  if (setCookies.length === 0) return NextResponse.next()
  const headers = new Headers(request.headers)
  headers.set('cookie', applySetCookies(request.headers.get('cookie'), setCookies))
  return withSetCookies(NextResponse.next({ request: { headers } }), setCookies)
}

/** Next rejects a relative `Location` from a proxy: resolve the core's login redirect against the request. */
function absoluteLocation(response: Response, request: Request): Response {
  const location = response.headers.get('location')
  if (location === null) return response
  const copy = new Response(response.body, response)
  copy.headers.set('location', new URL(location, request.url).href)
  return copy
}

/**
 * Creates the proxy for an `Auth` (or a function returning it, created on first use). A
 * configuration error fails closed: every request answers 500 until it is fixed.
 */
export function createAuthProxy(auth: Auth | (() => Auth), options: AuthProxyOptions = {}): AuthProxy {
  const instance = typeof auth === 'function' ? auth : () => auth
  const isProtected = protectionOf(options.protect)
  const check: RequireSessionOptions = {
    ...(options.onMissing === undefined ? {} : { onMissing: options.onMissing }),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
  }
  return async function authProxy(request) {
    const login = instance()
    const { pathname } = new URL(request.url)
    // The login routes manage the session themselves.
    if (login.isAuthRoute(pathname)) return NextResponse.next()
    if (isProtected(pathname, request)) {
      const result = await login.requireSession(request, check)
      if (!result.ok) return absoluteLocation(result.response, request)
      return forward(request, result.cookies)
    }
    try {
      const { cookies } = await login.resolveSession(request)
      return forward(request, cookies)
    } catch {
      // A public page stays up when the session store fails; its own getSession() answers null.
      return NextResponse.next()
    }
  }
}
