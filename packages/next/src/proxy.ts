/// <reference path="./next-modules.d.ts" />
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
import {
  type Auth,
  ConfigurationError,
  normalizePathname,
  type RequireSessionOptions,
  scopeNames,
} from '@org/auth-core'
import { NextResponse } from 'next/server'
import { applySetCookies, withSetCookies } from './cookie-header.js'

export interface AuthProxyOptions {
  /**
   * Pages that need a session: path prefixes (`'/account'` covers `/account` and
   * `/account/...`, not `/accounts`), or a predicate on the pathname. Everything else only has
   * its session kept fresh. Prefixes are matched on the normalised path (see `normalizePathname`
   * of `@org/auth-core`: escapes decoded, `//` collapsed, `.`/`..` resolved) and without regard
   * to case; the predicate gets the normalised path. A path with no single reading (an encoded
   * `/`, `\` or `%`, a malformed escape) is protected whatever this says. Default: none.
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

/** A prefix as it is compared: normalised like request paths, lower case, no trailing slash. */
function prefixOf(entry: unknown): string {
  const normalized = typeof entry === 'string' ? normalizePathname(entry) : undefined
  if (normalized === undefined) {
    throw new ConfigurationError(
      `"protect" entries must be paths starting with "/", got ${JSON.stringify(entry)}`,
    )
  }
  const trimmed = normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized
  return trimmed.toLowerCase()
}

/**
 * Whether a (normalised) path is protected. Prefixes compare without regard to case: Next's
 * rewrites and redirects match paths case-insensitively by default (`caseSensitiveRoutes`), so
 * `/ACCOUNT` can reach an `/account` page through one, and a case-insensitive file system serves
 * it in development; a signed-out visitor of a mixed-case path only meets the login instead of a 404.
 */
function protectionOf(protect: AuthProxyOptions['protect']): (pathname: string, request: Request) => boolean {
  if (typeof protect === 'function') return protect
  const prefixes = [...(protect ?? [])].map(prefixOf)
  return (pathname) => {
    const path = pathname.toLowerCase()
    return prefixes.some((prefix) => prefix === '/' || path === prefix || path.startsWith(`${prefix}/`))
  }
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
    ...(options.scopes === undefined ? {} : { scopes: scopeNames(options.scopes) }),
  }
  return async function authProxy(request) {
    const login = instance()
    // The path Next's router will serve, not the raw one (`/%70rofile`, `//profile` are `/profile`).
    const pathname = normalizePathname(new URL(request.url).pathname)
    // The login routes manage the session themselves.
    if (pathname !== undefined && login.isAuthRoute(pathname)) return NextResponse.next()
    // No single reading (an encoded `/`, a malformed escape): protected, whatever `protect` says.
    if (pathname === undefined || isProtected(pathname, request)) {
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
