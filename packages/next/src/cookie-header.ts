/**
 * `Set-Cookie` lines as Next.js needs them: folded into the `Cookie` header of the request the
 * proxy lets through (so the page rendered in the same request sees the session the browser
 * will have), and split into the name, value and attributes `cookies().set()` takes. The lines
 * are the core's own (RFC 6265 values, no quoting), so a small parser is enough.
 */

/** A `Set-Cookie` line taken apart, in the shape of Next's `ResponseCookie`. */
export interface ParsedSetCookie {
  name: string
  value: string
  path?: string
  maxAge?: number
  expires?: Date
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'lax' | 'strict' | 'none'
}

const SAME_SITE = new Set(['lax', 'strict', 'none'])

/** Parses one `Set-Cookie` line; `undefined` for a line without `name=`. */
export function parseSetCookie(line: string): ParsedSetCookie | undefined {
  const [pair = '', ...attributes] = line.split(';')
  const eq = pair.indexOf('=')
  if (eq <= 0) return undefined
  const cookie: ParsedSetCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() }
  for (const attribute of attributes) {
    const [key = '', ...rest] = attribute.split('=')
    const value = rest.join('=').trim()
    switch (key.trim().toLowerCase()) {
      case 'path':
        cookie.path = value
        break
      case 'max-age':
        cookie.maxAge = Number(value)
        break
      case 'expires':
        cookie.expires = new Date(value)
        break
      case 'httponly':
        cookie.httpOnly = true
        break
      case 'secure':
        cookie.secure = true
        break
      case 'samesite':
        if (SAME_SITE.has(value.toLowerCase())) cookie.sameSite = value.toLowerCase() as 'lax'
        break
    }
  }
  return cookie
}

/** Whether a parsed `Set-Cookie` deletes its cookie. */
export function isDeletion(cookie: ParsedSetCookie): boolean {
  return cookie.maxAge !== undefined && cookie.maxAge <= 0
}

/**
 * The `Cookie` header a request carries once `setCookies` have been applied: replaced values
 * keep their place, new cookies are added at the end, deleted ones are dropped.
 */
export function applySetCookies(cookieHeader: string | null, setCookies: readonly string[]): string {
  const jar = new Map<string, string>()
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq).trim()
    // The first of two same-named cookies is the one servers read (RFC 6265 §5.4).
    if (eq > 0 && !jar.has(name)) jar.set(name, part.slice(eq + 1).trim())
  }
  for (const line of setCookies) {
    const cookie = parseSetCookie(line)
    if (cookie === undefined) continue
    if (isDeletion(cookie)) jar.delete(cookie.name)
    else jar.set(cookie.name, cookie.value)
  }
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/** `response` with `setCookies` appended, copied once if its headers are immutable (a fetch() passthrough). */
export function withSetCookies(response: Response, setCookies: readonly string[]): Response {
  if (setCookies.length === 0) return response
  let target = response
  try {
    for (const line of setCookies) target.headers.append('set-cookie', line)
  } catch {
    target = new Response(response.body, response)
    for (const line of setCookies) target.headers.append('set-cookie', line)
  }
  return target
}
