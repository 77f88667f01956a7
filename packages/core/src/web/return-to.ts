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

function resolvedOn(value: string, origin: URL): string | undefined {
  let resolved: URL
  try {
    resolved = new URL(value, origin)
  } catch {
    return undefined
  }
  if (resolved.origin !== origin.origin) return undefined
  return `${resolved.pathname}${resolved.search}${resolved.hash}`
}

/** A relative path that stays one once resolved (dot segments removed) on `origin`. */
function staysRelative(value: string, origin: URL): boolean {
  if (!isRelativePath(value)) return false
  const resolved = resolvedOn(value, origin)
  return resolved !== undefined && isRelativePath(resolved)
}

/** Safe as given and as a proxy or framework that decodes once before routing would see it. */
function isSafePath(value: string, origin: URL): boolean {
  const once = decoded(value)
  return once !== undefined && staysRelative(value, origin) && staysRelative(once, origin)
}

/**
 * `value` as a path + query + fragment on `origin`, or `undefined` when it is not a same-origin
 * relative path: absolute URLs, scheme-relative `//host`, `/\host`, encoded variants
 * (`/%2F%2Fhost`, `/%5Chost`), `javascript:` and control characters are all refused.
 *
 * The checks hold on what is returned, the value a `Location` header will carry: URL resolution
 * removes dot segments, so `/.//evil`, `/%2e//evil` or `/a/../..//evil` come out as `//evil`,
 * which a browser follows off-site. Such values are refused, whatever their input form.
 */
export function safeReturnTo(value: string | null | undefined, origin: string): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined
  const base = new URL(origin)
  if (!isSafePath(value, base)) return undefined
  const path = resolvedOn(value, base)
  if (path === undefined || !isSafePath(path, base)) return undefined
  // Idempotent: the path sent resolves to itself, so no second resolution can move it.
  return resolvedOn(path, base) === path ? path : undefined
}
