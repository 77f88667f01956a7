/**
 * A request path as a router resolves it, for code that decides by path whether a request needs
 * a session (the Next.js proxy's protected prefixes). Matching the raw path lets `/%70rofile`,
 * `//profile` or `/a/../profile` through while the router serves `/profile` for them: a path
 * check must see the path the router will see: a path read one way by the check and another by
 * the router is the class of Next.js's 2026 middleware-bypass advisories and Hono's CVE-2026-47676.
 */

// `%2F` and `%5C` decode to a separator and `%25` to a new escape: a layer that decodes and one
// that does not see different paths (Next.js matches both the raw and the decoded form), so
// these, like a malformed escape, have no single reading. The caller fails closed on them.
const AMBIGUOUS_ESCAPE = /%(?:2f|5c|25)/i
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i
// biome-ignore lint/suspicious/noControlCharactersInRegex: decoded control characters are refused
const CONTROL = /[\x00-\x1F\x7F]/

/**
 * `pathname` (the path of a URL, starting with `/`) as a router resolves it: every
 * percent-escape decoded (as UTF-8; the case of the hex digits does not matter), `\` read as `/`
 * (as browsers and Next.js do), `.` and `..` segments resolved (RFC 3986 §5.2.4, as a URL parser
 * does; `..` stops at the root), and repeated slashes collapsed. A trailing slash is kept, and so is case: path
 * segments are case-sensitive (RFC 3986 §6.2.2.1), whatever a caller decides to compare.
 *
 * Returns `undefined` when the path has no single reading, and the caller must then fail closed
 * (treat it as protected): not starting with `/`, a malformed escape (`%`, `%2`, `%zz`), an
 * escape that is not UTF-8 (`%C3%28`), an encoded separator or escape (`%2F`, `%5C`, `%25`), a
 * control character once decoded, or `..` after a repeated slash (`/a//..` is `/a/` to a URL
 * parser, `/` to a server that collapses slashes first). `;` has no special meaning (Next.js and Node do not strip
 * `;params`), so `/profile;x` stays a segment of its own.
 */
export function normalizePathname(pathname: string): string | undefined {
  if (typeof pathname !== 'string' || !pathname.startsWith('/')) return undefined
  if (MALFORMED_ESCAPE.test(pathname) || AMBIGUOUS_ESCAPE.test(pathname)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined // escapes that are not UTF-8
  }
  if (CONTROL.test(decoded)) return undefined
  const segments = decoded.replaceAll('\\', '/').split('/')
  // Dot segments first, as a URL parser does (empty segments kept), then repeated slashes.
  const resolved: string[] = []
  // segments[0] is the empty string before the leading slash.
  for (let index = 1; index < segments.length; index++) {
    const segment = segments[index] as string
    if (segment === '..') {
      // `/a//..`: a URL parser pops the empty segment (`/a/`), a server that collapses slashes
      // first pops `a` (`/`). Two readings: none is chosen.
      if (resolved.at(-1) === '') return undefined
      resolved.pop()
    } else if (segment !== '.') resolved.push(segment)
    // A path ending in `/.` or `/..` ends in a slash, as a browser resolves it.
    if (index === segments.length - 1 && (segment === '.' || segment === '..')) resolved.push('')
  }
  const kept = resolved.filter((part, index) => part !== '' || index === resolved.length - 1)
  return `/${kept.join('/')}`
}
