/** Small Response builders of the login routes, and the same-origin check of state-changing routes. */
import type { AuthError } from '../errors.js'
import type { RequestLike } from './request-like.js'

function withCookies(headers: Headers, cookies: readonly string[]): Headers {
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  return headers
}

/** A redirect that no cache keeps (it carries cookies and one-time values). */
export function redirect(location: string, cookies: readonly string[] = [], status = 302): Response {
  const headers = withCookies(new Headers({ location, 'cache-control': 'no-store' }), cookies)
  return new Response(null, { status, headers })
}

export function json(body: unknown, status: number, cookies: readonly string[] = []): Response {
  const headers = withCookies(
    new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' }),
    cookies,
  )
  return new Response(JSON.stringify(body), { status, headers })
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string)
}

/**
 * The default page of a failed login route: the stable code and, for a refusal by the provider,
 * its RFC 6749 `error` value. Never the provider's `error_description`, which an attacker can
 * choose by crafting the callback URL; everything shown is escaped regardless.
 */
export function errorPage(error: AuthError, loginPath: string, cookies: readonly string[]): Response {
  const oauthError = (error as { error?: string }).error
  const detail = oauthError === undefined ? '' : ` (${escapeHtml(oauthError)})`
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Sign-in failed</title></head>
<body><h1>Sign-in failed</h1><p><code>${escapeHtml(error.code)}</code>${detail}</p>
<p><a href="${escapeHtml(loginPath)}">Sign in again</a></p></body></html>`
  const headers = withCookies(
    new Headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
    }),
    cookies,
  )
  return new Response(body, { status: error.status, headers })
}

/**
 * Whether a state-changing request comes from the application's own pages. `Sec-Fetch-Site`
 * when the browser sends it (a GET navigation typed by the user is `none`), else `Origin`;
 * a request with neither is refused, since nothing proves where it comes from. `origin` is the
 * application's own origin.
 */
export function isSameOrigin(request: RequestLike, origin: string): boolean {
  const fetchSite = request.headers.get('sec-fetch-site')
  if (fetchSite !== null) {
    return fetchSite === 'same-origin' || (fetchSite === 'none' && request.method === 'GET')
  }
  const sent = request.headers.get('origin')
  return sent !== null && sent === origin
}
