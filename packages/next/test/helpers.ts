/**
 * Shared by the tests: the real dev IdP, the Next.js demo client, and a cookie jar that drives
 * `createNextAuth` handlers with `new Request(...)` the way a browser would.
 */
import type { DevIdp } from '@org/dev-idp'
import { DEMO_CLIENTS } from '@org/dev-idp'
import type { NextAuth, NextAuthLoginOptions } from '../src/index.js'

export const ORIGIN = 'http://localhost:3004'
export const SECRET = 'a-next-test-secret-that-is-long-enough-42'

/** Login options for the dev IdP's `next-demo` client (redirect `/api/auth/callback`). */
export function loginOptions(idp: DevIdp, extra: Partial<NextAuthLoginOptions> = {}): NextAuthLoginOptions {
  return {
    issuer: idp.issuer,
    clientId: DEMO_CLIENTS.next.clientId,
    clientSecret: DEMO_CLIENTS.next.clientSecret,
    scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
    authorizationParams: { prompt: 'consent' },
    session: { secrets: SECRET },
    ...extra,
  }
}

export class Jar {
  readonly cookies = new Map<string, string>()
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
  store(response: Response): Response {
    this.storeLines(response.headers.getSetCookie())
    return response
  }
  storeLines(lines: readonly string[]): void {
    for (const line of lines) {
      const [pair = ''] = line.split(';', 1)
      const eq = pair.indexOf('=')
      if (/max-age=0\b/i.test(line)) this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }
}

export function request(jar: Jar, path: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers)
  if (jar.cookies.size > 0) headers.set('cookie', jar.header())
  return new Request(`${ORIGIN}${path}`, { ...init, headers })
}

/** Login → the IdP (scripted login and consent) → callback, all through `handlers.GET`. */
export async function logIn(nextAuth: NextAuth, idp: DevIdp, jar: Jar, returnTo = '/'): Promise<Response> {
  const login = jar.store(
    await nextAuth.handlers.GET(request(jar, `/api/auth/login?returnTo=${encodeURIComponent(returnTo)}`)),
  )
  if (login.status !== 302) throw new Error(`login answered ${login.status}`)
  const callback = await idp.authorize(login.headers.get('location') as string)
  return jar.store(await nextAuth.handlers.GET(request(jar, callback.pathname + callback.search)))
}

/** A fetch that counts refresh-token grants on their way to the IdP. */
export function countingFetch(): { fetch: typeof fetch; refreshes: () => number } {
  let refreshes = 0
  const counting: typeof fetch = (input, init) => {
    if (String(init?.body ?? '').includes('grant_type=refresh_token')) refreshes++
    return fetch(input, init)
  }
  return { fetch: counting, refreshes: () => refreshes }
}
