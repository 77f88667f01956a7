import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AuthorizationRequest, createTokenVerifier, OAuthClient } from '@org/auth-core'
import { DEMO_CLIENTS, type DevIdp, startDevIdp } from '@org/dev-idp'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../src/browser.js'
import { signInAtDevIdp, signOutAtDevIdp } from '../src/dev-idp.js'

// Headless Chromium logs in through the dev IdP's real login and consent pages as the
// express-demo client; a tiny app on 127.0.0.1 runs the OAuth client's callback and shows the result.
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

describe('browser login through the dev IdP', () => {
  let idp: DevIdp
  let app: Server
  let appOrigin: string
  let client: OAuthClient
  let browser: Browser | undefined
  /** Authorization requests in flight, by state: the app's stand-in for a transaction cookie. */
  const pending = new Map<string, AuthorizationRequest>()
  /** The last ID token the app received, by `sub`: the `id_token_hint` of a logout. */
  const idTokens = new Map<string, string>()

  beforeAll(async () => {
    idp = await startDevIdp()
    const apiTokens = createTokenVerifier({ issuer: idp.issuer, audience: idp.resource, jwks: idp.jwksUri })
    app = createServer((req, res) => {
      const url = new URL(req.url ?? '/', appOrigin)
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(`<p id="home">home ${escapeHtml(url.search)}</p>`)
        return
      }
      const expected = pending.get(url.searchParams.get('state') ?? '')
      if (url.pathname !== '/auth/callback' || !expected) {
        res.writeHead(404).end()
        return
      }
      pending.delete(expected.state)
      const show = (status: number, lines: string[]) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
        res.end(`<pre id="result">${escapeHtml(lines.join('\n'))}</pre>`)
      }
      client.handleCallback(url, expected).then(
        async (tokens) => {
          if (tokens.idToken) idTokens.set(String(tokens.claims?.sub), tokens.idToken)
          const api = await apiTokens.verify(tokens.accessToken)
          show(200, [
            `sub=${tokens.claims?.sub}`,
            `email=${tokens.claims?.['email']}`,
            `api-scope=${api['scope']}`,
          ])
        },
        (error: unknown) => {
          const { code, error: oauthError } = error as { code?: unknown; error?: unknown }
          show(400, [`error=${String(code)} ${String(oauthError)}`])
        },
      )
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
    client = await OAuthClient.discover(idp.issuer, {
      clientId: DEMO_CLIENTS.express.clientId,
      clientSecret: DEMO_CLIENTS.express.clientSecret,
      redirectUri: `${appOrigin}/auth/callback`,
    })
  })

  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => {
      app?.closeAllConnections()
      app?.close(() => resolve())
    })
    await idp?.close()
  })

  /** A fresh browser context (no IdP session) on the authorization URL of a new login. */
  async function startLogin() {
    // Launched here, not in beforeAll, so a missing Chromium fails each test with the reason.
    browser ??= await launchChromium()
    const context = await browser.newContext()
    const page = await context.newPage()
    page.setDefaultTimeout(60_000)
    const request = await client.authorizationUrl({ scope: 'openid profile email read' })
    pending.set(request.state, request)
    await page.goto(request.url.href)
    return { context, page }
  }

  it('signs alice in with her password and shows her claims and an API token', async () => {
    const { context, page } = await startLogin()
    try {
      expect(await page.title()).toBe('Sign in')
      await signInAtDevIdp(page, { username: 'alice', password: 'alice-password' })
      const result = await page.locator('#result').textContent()
      expect(result).toContain('sub=alice')
      expect(result).toContain('email=alice@example.test')
      expect(result).toContain('api-scope=read')
    } finally {
      await context.close()
    }
  })

  it('signs out through RP-initiated logout, back to the app, and the next login asks for the password', async () => {
    const { context, page } = await startLogin()
    try {
      await signInAtDevIdp(page)
      expect(await page.locator('#result').textContent()).toContain('sub=alice')
      const logout = client.endSessionUrl({
        idTokenHint: idTokens.get('alice') ?? '',
        postLogoutRedirectUri: `${appOrigin}/`,
        state: 'bye',
      })
      await page.goto(logout.href)
      await signOutAtDevIdp(page)
      expect(await page.locator('#home').textContent()).toBe('home ?state=bye')

      const again = await client.authorizationUrl({ scope: 'openid' })
      pending.set(again.state, again)
      await page.goto(again.url.href)
      expect(await page.title()).toBe('Sign in')
    } finally {
      await context.close()
    }
  })

  it('shows the error for a wrong password and stays on the login page', async () => {
    const { context, page } = await startLogin()
    try {
      await expect(signInAtDevIdp(page, { password: 'not-her-password' })).rejects.toThrow(
        'Wrong username or password.',
      )
      expect(new URL(page.url()).origin).toBe(idp.issuer)
    } finally {
      await context.close()
    }
  })

  it('returns access_denied to the app when the user denies consent', async () => {
    const { context, page } = await startLogin()
    try {
      await signInAtDevIdp(page, { consent: 'deny' })
      expect(await page.locator('#result').textContent()).toBe('error=ERR_AUTHORIZATION_DENIED access_denied')
    } finally {
      await context.close()
    }
  })
})
