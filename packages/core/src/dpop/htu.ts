/**
 * The DPoP `htu` comparison (RFC 9449 §4.3 check 9): the request URI and the proof's `htu`, both
 * without query and fragment, normalised per RFC 3986 §6.2.2 (syntax-based) and §6.2.3
 * (scheme-based) before they are compared as strings.
 */

// RFC 3986 §2.3 unreserved characters: a percent-encoding of one of them is decoded (§6.2.2.2).
const UNRESERVED = /[A-Za-z0-9\-._~]/
const PERCENT_ENCODED = /%[0-9A-Fa-f]{2}/g

function normalisePercentEncoding(path: string): string {
  return path.replace(PERCENT_ENCODED, (encoded) => {
    const character = String.fromCharCode(Number.parseInt(encoded.slice(1), 16))
    // §6.2.2.1: the hex digits of every other percent-encoding are uppercase.
    return UNRESERVED.test(character) ? character : encoded.toUpperCase()
  })
}

/**
 * `scheme://host[:port]/path` of an http(s) URL: the scheme and host lowercased, the default port
 * dropped, dot segments removed and an empty path made `/` (all done by the WHATWG URL parser),
 * percent-encodings normalised; query, fragment and user information left out. `undefined` for
 * anything that is not an absolute http(s) URL.
 */
export function normaliseHtu(value: string | URL): string | undefined {
  let url: URL
  if (typeof value === 'string') {
    const parsed = URL.canParse(value) ? new URL(value) : undefined
    if (parsed === undefined) return undefined
    url = parsed
  } else {
    url = value
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  return `${url.protocol}//${url.host}${normalisePercentEncoding(url.pathname)}`
}
