import type { DevIdp } from '@org/dev-idp'
import { type Auth, type AuthOptions, createAuth, OAuthClient } from '../../src/index.js'

export const SECRET = 'a-test-secret-that-is-long-enough-0123456789'
/** The dev IdP's basic client redirects to /callback on any loopback port (RFC 8252). */
export const APP_ORIGIN = 'http://127.0.0.1:4567'

/** The dev IdP's basic client, discovered, with routes laid out on its registered redirect URI. */
export async function authFor(idp: DevIdp, options: Partial<AuthOptions> = {}): Promise<Auth> {
  const client = await OAuthClient.discover(idp.issuer, {
    clientId: idp.clients.basic.clientId,
    clientSecret: idp.clients.basic.clientSecret,
  })
  return createAuth({
    client,
    basePath: '/',
    afterLogout: '/logged-out',
    ...options,
    session: { secrets: SECRET, ...options.session },
  })
}

/** A browser stand-in: a cookie jar in front of `auth.handler`, one origin. */
export class TestBrowser {
  readonly cookies = new Map<string, string>()
  readonly setCookies: string[] = []

  constructor(
    readonly auth: Auth,
    readonly origin = APP_ORIGIN,
  ) {}

  store(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line)
      const pair = line.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || /max-age=0\b/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  request(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
    const url = path.startsWith('http') ? path : `${this.origin}${path}`
    return new Request(url, { ...init, headers: { cookie: this.cookieHeader(), ...init.headers } })
  }

  async fetch(
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return this.store(await this.auth.handler(this.request(path, init)))
  }

  /** Starts a login and plays the user at the IdP: the callback URL the IdP redirects to. */
  async startLogin(idp: DevIdp, query = '', as: { sub?: string; denyConsent?: boolean } = {}): Promise<URL> {
    const login = await this.fetch(`/login${query}`)
    if (login.status !== 302) throw new Error(`login answered ${login.status}`)
    return idp.authorize(login.headers.get('location') as string, as)
  }

  /** A whole login: the session cookie is in the jar afterwards. */
  async login(idp: DevIdp, query = '', as: { sub?: string } = {}): Promise<Response> {
    const callback = await this.startLogin(idp, query, as)
    return this.fetch(callback.pathname + callback.search)
  }
}
