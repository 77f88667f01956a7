/**
 * Where a login or logout may send the browser back to. Open redirects through `returnTo` are a
 * recurring CVE class (next-auth CVE-2022-24858, express-openid-connect GHSA-7p99-3798-f85c), so
 * only same-origin relative paths pass, checked on the raw value, on its percent-decoded form and
 * on the URL a browser would resolve it to.
 */

// CTLs (CR/LF included), space, backslash: browsers treat `\` as `/`, so `/\evil` is `//evil`.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const FORBIDDEN = /[\x00-\x20\x7F\\]/

function isRelativePath(value: string): boolean {
  return value.startsWith('/') && !value.startsWith('//') && !FORBIDDEN.test(value)
}

function decoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/**
 * `value` as a path + query + fragment on `origin`, or `undefined` when it is not a same-origin
 * relative path: absolute URLs, scheme-relative `//host`, `/\host`, encoded variants
 * (`/%2F%2Fhost`, `/%5Chost`), `javascript:` and control characters are all refused.
 */
export function safeReturnTo(value: string | null | undefined, origin: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined
  if (!isRelativePath(value)) return undefined
  // A proxy or framework may decode once before routing: the decoded form must be safe too.
  const once = decoded(value)
  if (once === undefined || !isRelativePath(once)) return undefined
  let resolved: URL
  try {
    resolved = new URL(value, origin)
  } catch {
    return undefined
  }
  if (resolved.origin !== new URL(origin).origin) return undefined
  return `${resolved.pathname}${resolved.search}${resolved.hash}`
}
