/**
 * Building the {@link BearerRequest} `authenticate` takes, from what adapters have: a Fetch
 * `Request` (Next.js, Hono, any Web runtime), or a Node request's raw headers (node/bearer-request.ts).
 */
import { ConfigurationError } from '../errors.js'
import { isProduction } from '../lib/environment.js'
import type { BearerRequest } from './bearer-request.js'

export interface BearerRequestOptions {
  /**
   * The public origin (`https://api.example.com`) whose URLs the clients address, for the DPoP
   * `htu` check behind a proxy or load balancer that rewrites the host or scheme. Default: the
   * origin of `request.url`.
   */
  origin?: string
}

/** Checks an `origin` option at start-up: an http(s) origin without path, query or credentials. */
export function checkOrigin(origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined
  const url = typeof origin === 'string' && URL.canParse(origin) ? new URL(origin) : undefined
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new ConfigurationError('"origin" must be an http(s) origin such as https://api.example.com')
  }
  return url.origin
}

/**
 * The bearer-check input of a Fetch `Request`: method, URL (with `origin` in place of the
 * request's own when given), `Authorization` and `DPoP` headers. Fetch joins repeated headers
 * with ", ", which the check refuses for both.
 */
export function bearerRequestOf(request: Request, options: BearerRequestOptions = {}): BearerRequest {
  const origin = options.origin
  return {
    authorization: request.headers.get('authorization'),
    dpop: request.headers.get('dpop'),
    method: request.method,
    url:
      origin === undefined
        ? () => {
            warnHostDerivedHtu()
            return request.url
          }
        : () => publicUrl(request.url, origin),
  }
}

/** `url` with its origin replaced by `origin` (path and query kept). */
export function publicUrl(url: string, origin: string): string {
  const parsed = new URL(url)
  return `${origin}${parsed.pathname}${parsed.search}`
}

/**
 * Every value of header `name` (lowercase) in a Node request's `rawHeaders`: the value, a list
 * when it is repeated, or `undefined`.
 */
export function headerValues(raw: readonly string[], name: string): string | string[] | undefined {
  let first: string | undefined
  let values: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i] as string
    if (header.length !== name.length || header.toLowerCase() !== name) continue
    const value = raw[i + 1] as string
    if (first === undefined) {
      first = value
    } else {
      values ??= [first]
      values.push(value)
    }
  }
  return values ?? first
}

let hostWarned = false

/**
 * Says once per process, in production, that a DPoP proof was checked against a URL built from
 * the request's `Host` (no `origin` configured): a proof a client made for another host that
 * reaches this API with that `Host` then passes `htu` (RFC 9449 §4.3). Setting `origin` closes it.
 */
export function warnHostDerivedHtu(): void {
  if (hostWarned || !isProduction()) return
  hostWarned = true
  console.warn(
    "[@org/auth-core] DPoP proofs are checked against a URL built from the request's Host header: " +
      'set the adapter\'s "origin" option to the API\'s public origin, so that a proof made for another host is refused.',
  )
}
