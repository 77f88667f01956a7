/**
 * Cookie parsing and serialisation (RFC 6265), and the split of one large value into numbered
 * chunks: browsers drop a cookie over 4096 bytes, and a sealed session with an ID token and a
 * refresh token easily exceeds that.
 */

export interface CookieAttributes {
  /** Seconds until the cookie expires; 0 deletes it. Omitted: a browser-session cookie. */
  maxAge?: number
  path?: string
  secure: boolean
  httpOnly?: boolean
  sameSite: 'Lax' | 'Strict' | 'None'
}

// RFC 6265 §4.1.1 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/
// RFC 6265 cookie-name is an RFC 2616 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Every cookie of a `Cookie` header, first value wins for a repeated name (RFC 6265 §5.4). */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>()
  if (header === null) return cookies
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    if (cookies.has(name) || !COOKIE_NAME.test(name)) continue
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (COOKIE_VALUE.test(value)) cookies.set(name, value)
  }
  return cookies
}

/**
 * The first value named `name` in a `Cookie` header, trimmed and unquoted as {@link parseCookies}
 * reads it but not checked: only for comparing with a value checked before (the unseal cache), so
 * a hit is the value `parseCookies` gives too. Skips splitting and checking every cookie.
 */
export function firstCookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq > start && eq < end && header.slice(start, eq).trim() === name) {
      const value = header.slice(eq + 1, end).trim()
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
    start = end + 1
  }
  return undefined
}

/** A `Set-Cookie` value. Values are ours (base64url, JWE compact), never user input. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`Invalid cookie name ${JSON.stringify(name)}`)
  if (!COOKIE_VALUE.test(value)) throw new TypeError(`Invalid value for cookie ${name}`)
  let line = `${name}=${value}; Path=${attributes.path ?? '/'}`
  if (attributes.maxAge !== undefined) {
    line += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`
    // Expires for the few clients that ignore Max-Age; Max-Age wins where both are understood.
    if (attributes.maxAge <= 0) line += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT'
  }
  if (attributes.httpOnly !== false) line += '; HttpOnly'
  if (attributes.secure) line += '; Secure'
  line += `; SameSite=${attributes.sameSite}`
  return line
}

/** A `Set-Cookie` value that deletes `name`. */
export function deleteCookie(name: string, attributes: CookieAttributes): string {
  return serializeCookie(name, '', { ...attributes, maxAge: 0 })
}

/** `name` for a one-cookie value, `name.0`, `name.1`... for a chunked one. */
function chunkName(name: string, index: number): string {
  return `${name}.${index}`
}

/**
 * Reads a value written by {@link writeChunked}: the plain cookie, else the chunks `name.0`..
 * up to the first gap (at most `maxChunks`).
 */
export function readChunked(
  cookies: Map<string, string>,
  name: string,
  maxChunks: number,
): string | undefined {
  const whole = cookies.get(name)
  if (whole !== undefined && whole.length > 0) return whole
  let value = ''
  for (let index = 0; index < maxChunks; index++) {
    const chunk = cookies.get(chunkName(name, index))
    if (chunk === undefined) break
    value += chunk
  }
  return value.length > 0 ? value : undefined
}

/**
 * Most chunks a value may have: more would not fit the request-header limits of servers and
 * proxies anyway. It also bounds the deletions a forged `name.0`…`name.9999` can cause.
 */
export const MAX_CHUNKS = 16
const CHUNK_INDEX = /^(?:0|[1-9]\d?)$/

/** Names of cookies that belong to the chunked value `name` (the plain one and chunks 0 to MAX_CHUNKS - 1). */
export function chunkedNames(cookies: Map<string, string>, name: string): string[] {
  const prefix = `${name}.`
  return [...cookies.keys()].filter((cookie) => {
    if (cookie === name) return true
    if (!cookie.startsWith(prefix)) return false
    const index = cookie.slice(prefix.length)
    return CHUNK_INDEX.test(index) && Number(index) < MAX_CHUNKS
  })
}

/**
 * `Set-Cookie` lines storing `value` under `name`, chunked when longer than `chunkSize`, and
 * deleting whatever cookies of the previous value the new one does not overwrite (a shorter
 * session must not be glued to a stale tail). Returns `undefined` when more than `maxChunks`
 * chunks would be needed: the caller decides what too large means.
 */
export function writeChunked(
  cookies: Map<string, string>,
  name: string,
  value: string,
  attributes: CookieAttributes,
  chunkSize: number,
  maxChunks: number,
): string[] | undefined {
  const written: string[] = []
  if (value.length <= chunkSize) {
    written.push(name)
  } else {
    const count = Math.ceil(value.length / chunkSize)
    if (count > maxChunks) return undefined
    for (let index = 0; index < count; index++) written.push(chunkName(name, index))
  }
  const lines = written.map((cookie, index) =>
    serializeCookie(
      cookie,
      written.length === 1 ? value : value.slice(index * chunkSize, (index + 1) * chunkSize),
      attributes,
    ),
  )
  for (const stale of chunkedNames(cookies, name)) {
    if (!written.includes(stale)) lines.push(deleteCookie(stale, attributes))
  }
  return lines
}

/** `Set-Cookie` lines deleting the chunked value `name` (every part present in the request). */
export function deleteChunked(
  cookies: Map<string, string>,
  name: string,
  attributes: CookieAttributes,
): string[] {
  return chunkedNames(cookies, name).map((cookie) => deleteCookie(cookie, attributes))
}
