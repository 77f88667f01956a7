import type { DevIdp } from '@org/dev-idp'

// Shared by the web-login tests: a cookie jar, a GET through app.request(), and a login played
// against the dev IdP (its scripted driver completes login and consent).

export class Jar {
  readonly cookies = new Map<string, string>()
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
  store(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';', 1)
      const eq = pair.indexOf('=')
      if (/max-age=0\b/i.test(line)) this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    return response
  }
}

/** What the helpers need of a Hono app: its in-memory `request`. */
interface App {
  request(input: string, init?: RequestInit): Response | Promise<Response>
}

/** GET and login helpers for an app served at `origin` (the origin its redirect URI is registered on). */
export function browser(origin: string) {
  async function get(app: App, jar: Jar, path: string, headers: Record<string, string> = {}, method = 'GET') {
    return jar.store(
      await app.request(`${origin}${path}`, { method, headers: { cookie: jar.header(), ...headers } }),
    )
  }
  async function logIn(
    app: App,
    provider: DevIdp,
    jar: Jar,
    path: string,
    as: { sub?: string } = {},
  ): Promise<Response> {
    const login = await get(app, jar, path)
    const callback = await provider.authorize(login.headers.get('location') as string, as)
    return get(app, jar, callback.pathname + callback.search)
  }
  return { get, logIn }
}
