import { randomBytes } from 'node:crypto'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar } from '../src/browser.js'
import { DEMO_CLIENTS, type DevIdp, PAGE_IDS, startDevIdp, WRONG_CREDENTIALS } from '../src/index.js'
import { basic, postForm, str } from './http.js'

// The login and consent pages as a browser sees them: plain fetch with a cookie jar and no
// dev-idp directive headers, following redirects by hand so every hop can be checked.
const demo = DEMO_CLIENTS.express
// Registered as http://localhost:3001/auth/callback; 127.0.0.1 and any port match too.
const CALLBACK = 'http://127.0.0.1:41999/auth/callback'

interface Page {
  url: URL
  status: number
  headers: Headers
  html: string
}

class Browser {
  readonly jar = new CookieJar()

  constructor(private readonly origin: string) {}

  /** One request, no redirect following. */
  async request(url: string | URL, form?: Record<string, string>): Promise<Response> {
    const response = await fetch(new URL(url, this.origin), {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    })
    this.jar.store(response)
    return response
  }

  /** Requests `url` and follows redirects within the IdP; a redirect elsewhere (the client) is returned unfetched. */
  async open(url: string | URL, form?: Record<string, string>): Promise<Page | URL> {
    let response = await this.request(url, form)
    let current = new URL(url, this.origin)
    for (let hop = 0; hop < 10; hop += 1) {
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || !location) {
        return {
          url: current,
          status: response.status,
          headers: response.headers,
          html: await response.text(),
        }
      }
      await response.body?.cancel()
      current = new URL(location, current)
      if (current.origin !== this.origin) return current
      response = await this.request(current)
    }
    throw new Error('too many redirects')
  }

  async page(url: string | URL, form?: Record<string, string>): Promise<Page> {
    const result = await this.open(url, form)
    if (result instanceof URL) throw new Error(`left the IdP for ${result.origin}${result.pathname}`)
    return result
  }

  async redirect(url: string | URL, form?: Record<string, string>): Promise<URL> {
    const result = await this.open(url, form)
    if (!(result instanceof URL)) throw new Error(`stayed on the IdP: HTTP ${result.status} ${result.url}`)
    return result
  }
}

/** The path a form on `page` posts to (`/interaction/<uid>/<action>`). */
function formAction(page: Page, action: 'login' | 'confirm' | 'abort'): string {
  const match = new RegExp(`(?:action|formaction)="(/interaction/[^/"]+/${action})"`).exec(page.html)
  if (!match?.[1]) throw new Error(`no ${action} form on ${page.url.pathname}`)
  return match[1]
}

describe('dev-idp login and consent pages', () => {
  let idp: DevIdp

  beforeAll(async () => {
    idp = await startDevIdp()
  })

  afterAll(async () => {
    await idp.close()
  })

  function authorizationUrl(params: Record<string, string> = {}): URL {
    const url = new URL(idp.endpoints.authorization)
    const query = {
      client_id: demo.clientId,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'openid profile email read',
      state: randomBytes(8).toString('hex'),
      ...params,
    }
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
    return url
  }

  async function loginPage(params: Record<string, string> = {}): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser(idp.issuer)
    const page = await browser.page(authorizationUrl(params))
    return { browser, page }
  }

  it('renders a login form with the client name, the demo users and a strict CSP', async () => {
    const { page } = await loginPage()
    expect(page.status).toBe(200)
    expect(page.url.pathname).toMatch(/^\/interaction\/[\w-]+$/)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.html).toContain(`id="${PAGE_IDS.loginForm}"`)
    expect(formAction(page, 'login')).toBe(`${page.url.pathname}/login`)
    expect(page.html).toContain('name="password" type="password"')
    expect(page.html).toContain('Express demo')
    expect(page.html).toContain('<td>alice</td><td>alice-password</td>')
    expect(page.html).not.toContain(`id="${PAGE_IDS.error}"`)
  })

  it('re-renders the form with an error for a wrong password, and logs nobody in', async () => {
    const { browser, page } = await loginPage()
    const retry = await browser.request(formAction(page, 'login'), {
      username: 'alice',
      password: 'wrong-pw',
    })
    expect(retry.status).toBe(200)
    expect(retry.headers.get('location')).toBeNull()
    const html = await retry.text()
    expect(html).toContain(WRONG_CREDENTIALS)
    expect(html).toContain('value="alice"')
    expect(html).not.toContain('wrong-pw')
    // The interaction still waits for a login.
    const again = await browser.page(page.url)
    expect(again.html).toContain(`id="${PAGE_IDS.loginForm}"`)
  })

  it('logs in with the right password, shows the consent page, and Allow returns a code for a JWT', async () => {
    const { browser, page } = await loginPage()
    const consent = await browser.page(formAction(page, 'login'), {
      username: 'alice',
      password: 'alice-password',
    })
    expect(consent.status).toBe(200)
    expect(consent.html).toContain(`id="${PAGE_IDS.consentForm}"`)
    expect(consent.html).toContain('<strong>Express demo</strong>')
    expect(consent.html).toContain('<strong>alice</strong>')
    for (const scope of ['openid', 'profile', 'email'])
      expect(consent.html).toContain(`<code>${scope}</code>`)
    expect(consent.html).toContain(`<code>${idp.resource}</code> <code>read</code>`)

    const callback = await browser.redirect(formAction(consent, 'confirm'), {})
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK)
    expect(callback.searchParams.get('iss')).toBe(idp.issuer)
    const tokens = await postForm(
      idp.endpoints.token,
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: CALLBACK,
      },
      { authorization: basic(demo.clientId, demo.clientSecret) },
    )
    expect(tokens.status).toBe(200)
    // No resource parameter: demo clients default to the demo API, so the access token is a JWT for it.
    const accessToken = str(tokens.body, 'access_token')
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt')
    const jwks = createRemoteJWKSet(new URL(idp.jwksUri))
    const { payload } = await jwtVerify(accessToken, jwks, { issuer: idp.issuer, audience: idp.resource })
    expect(payload.sub).toBe('alice')
    expect(payload['scope']).toBe('read')
    expect(payload['client_id']).toBe(demo.clientId)
    const idToken = await jwtVerify(str(tokens.body, 'id_token'), jwks, { audience: demo.clientId })
    expect(idToken.payload['email']).toBe('alice@example.test')
    expect(idToken.payload['amr']).toEqual(['pwd'])
  })

  it('signs out through its own confirmation page and returns to the post-logout redirect URI', async () => {
    const { browser, page } = await loginPage()
    const consent = await browser.page(formAction(page, 'login'), {
      username: 'alice',
      password: 'alice-password',
    })
    const callback = await browser.redirect(formAction(consent, 'confirm'), {})
    const tokens = await postForm(
      idp.endpoints.token,
      {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code') ?? '',
        redirect_uri: CALLBACK,
      },
      { authorization: basic(demo.clientId, demo.clientSecret) },
    )
    const logout = new URL(idp.endpoints.endSession)
    const afterLogout = 'http://127.0.0.1:41999/'
    logout.search = new URLSearchParams({
      id_token_hint: str(tokens.body, 'id_token'),
      post_logout_redirect_uri: afterLogout,
      state: 'logout-state',
    }).toString()
    const confirm = await browser.page(logout)
    expect(confirm.status).toBe(200)
    expect(confirm.html).toContain(`id="${PAGE_IDS.signOut}"`)
    expect(confirm.html).toContain('<strong>Express demo</strong>')
    // Self-contained, unlike oidc-provider's default page (a web font from the Internet).
    expect(confirm.html).not.toContain('googleapis')
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1] ?? ''
    const back = await browser.redirect('/session/end/confirm', { xsrf, logout: 'yes' })
    expect(back.href).toBe(`${afterLogout}?state=logout-state`)
    // The IdP session is gone: the next authorization asks for the password again.
    expect((await browser.page(authorizationUrl())).html).toContain(`id="${PAGE_IDS.loginForm}"`)
  })

  it('sends access_denied to the redirect URI when the user presses Deny', async () => {
    const { browser, page } = await loginPage({ state: 'deny-state' })
    const consent = await browser.page(formAction(page, 'login'), {
      username: 'alice',
      password: 'alice-password',
    })
    const callback = await browser.redirect(formAction(consent, 'abort'), {})
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK)
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('state')).toBe('deny-state')
    expect(callback.searchParams.get('code')).toBeNull()
  })

  it('sends access_denied when the user cancels the login', async () => {
    const { browser, page } = await loginPage()
    const callback = await browser.redirect(formAction(page, 'abort'), {})
    expect(callback.searchParams.get('error')).toBe('access_denied')
  })

  it('escapes a hostile login_hint in the prefilled username', async () => {
    const hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    const { browser, page } = await loginPage({ login_hint: hostile })
    expect(page.html).not.toContain('<script>')
    expect(page.html).not.toContain('<img')
    expect(page.html).toContain('value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;')
    // The same input typed into the form comes back escaped with the error.
    const retry = await browser.request(formAction(page, 'login'), { username: hostile, password: 'x' })
    const html = await retry.text()
    expect(html).toContain(WRONG_CREDENTIALS)
    expect(html).not.toContain('<script>')
  })

  it('refuses a form post without the interaction cookie (cross-site) or for another interaction', async () => {
    const { browser, page } = await loginPage()
    const crossSite = await fetch(new URL(formAction(page, 'login'), idp.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: 'alice-password' }),
    })
    expect(crossSite.status).toBe(400)
    expect(crossSite.headers.get('location')).toBeNull()
    await crossSite.body?.cancel()

    const other = await browser.request('/interaction/not-this-one/login', {
      username: 'alice',
      password: 'alice-password',
    })
    expect(other.status).toBe(400)
    expect(other.headers.get('location')).toBeNull()
    await other.body?.cancel()
    // Neither attempt logged anyone in.
    expect((await browser.page(page.url)).html).toContain(`id="${PAGE_IDS.loginForm}"`)
  })

  it('answers 405 to a GET of a form action and 404 to an unknown action', async () => {
    const { browser, page } = await loginPage()
    const get = await browser.request(formAction(page, 'login'))
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    await get.body?.cancel()
    const unknown = await browser.request(`${page.url.pathname}/elsewhere`, {})
    expect(unknown.status).toBe(404)
    await unknown.body?.cancel()
  })
})

describe('dev-idp demo clients', () => {
  let idp: DevIdp

  beforeAll(async () => {
    idp = await startDevIdp()
  })

  afterAll(async () => {
    await idp.close()
  })

  it.each(Object.values(DEMO_CLIENTS))(
    '$clientId logs in through authorize() on any loopback port',
    async (client) => {
      const registered = new URL(client.redirectUri)
      for (const host of ['localhost:45123', '127.0.0.1:45124']) {
        const redirectUri = `http://${host}${registered.pathname}`
        const url = new URL(idp.endpoints.authorization)
        url.search = new URLSearchParams({
          client_id: client.clientId,
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: 'openid read write',
          resource: idp.resource,
        }).toString()
        const callback = await idp.authorize(url, { sub: 'alice' })
        expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri)
        const tokens = await postForm(
          idp.endpoints.token,
          {
            grant_type: 'authorization_code',
            code: callback.searchParams.get('code') ?? '',
            redirect_uri: redirectUri,
          },
          { authorization: basic(client.clientId, client.clientSecret) },
        )
        expect(tokens.status).toBe(200)
        const { payload } = await jwtVerify(
          str(tokens.body, 'access_token'),
          createRemoteJWKSet(new URL(idp.jwksUri)),
          {
            issuer: idp.issuer,
            audience: idp.resource,
          },
        )
        expect(payload['scope']).toBe('read write')
      }
    },
  )

  it('accepts a demo post-logout redirect URI on another loopback port, and nothing else', async () => {
    const endSession = async (postLogoutRedirectUri: string): Promise<number> => {
      const url = new URL(idp.endpoints.endSession)
      url.search = new URLSearchParams({
        client_id: DEMO_CLIENTS.hono.clientId,
        post_logout_redirect_uri: postLogoutRedirectUri,
      }).toString()
      const response = await fetch(url, { redirect: 'manual' })
      await response.body?.cancel()
      return response.status
    }
    // 200: without an IdP session, a page that submits the logout by itself; 400: an unregistered URI.
    expect(await endSession('http://127.0.0.1:45125/')).toBe(200)
    expect(await endSession('http://localhost:45126/')).toBe(200)
    expect(await endSession('http://127.0.0.1:45125/elsewhere')).toBe(400)
  })
})
