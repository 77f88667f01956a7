/**
 * What every demo must do in a real browser, as one set of tests: log in through the dev IdP's
 * real pages (from a protected page, and back to it), see the claims, call the protected API with
 * the session's access token, enrol TOTP on the MFA settings page, end sessions on the sessions
 * page, log out at the app and the IdP, and passkeys (a CDP virtual authenticator): register, sign
 * in with the passkey alone, approve a transaction, rename and delete.
 * Each demo's test file starts its demo its own way and registers these tests inside a `describe`.
 */

import { base32Decode, generateTotp } from '@org/auth-server'
import type { DemoTokenServer } from '@org/demo-ui'
import { DEMO_CLIENTS, type DevIdp, PAGE_IDS } from '@org/dev-idp'
import type { BrowserContext, Page } from 'playwright-core'
import { beforeAll, expect, it } from 'vitest'
import { signInAtDevIdp, signOutAtDevIdp } from './dev-idp.js'

export interface ScenarioTarget {
  page: Page
  context: BrowserContext
  /** The demo's origin. */
  origin: string
  /** The dev IdP's issuer (= its origin). */
  issuer: string
  /** The dev IdP, and which demo client the demo logs in with (its back-channel logout is registered). */
  idp: DevIdp
  demo: keyof typeof DEMO_CLIENTS
  /** The token server `npm run demo` starts, whose machine tokens the demo API trusts too. */
  tokenServer: DemoTokenServer
}

/** A client-credentials token from the demo's token server, for the seeded client. */
async function machineToken(tokenServer: DemoTokenServer, scope: string): Promise<string> {
  const { clientId, clientSecret } = tokenServer.client
  const response = await fetch(`${tokenServer.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`)}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { access_token: string }).access_token
}

/** Waits for `selector` on the passkeys page, or fails at once with the page's "Failed: …" status. */
async function passkeyOutcome(page: Page, selector: string): Promise<void> {
  const failed = page.locator('#passkey-status', { hasText: 'Failed' })
  await page.locator(`${selector}, #passkey-status:has-text("Failed")`).first().waitFor()
  if ((await failed.count()) > 0) throw new Error(`passkeys page: ${await failed.textContent()}`)
}

/** Registers the scenario's tests; `target()` is read when each test runs (after `beforeAll`). */
export function demoScenario(target: () => ScenarioTarget): void {
  beforeAll(() => {
    // The demo listens on a free port of 127.0.0.1 (its origin may say localhost: Next's does):
    // the IdP's logout tokens go to its back-channel logout route there.
    const { origin, idp, demo } = target()
    const { clientId, backchannelLogoutUri } = DEMO_CLIENTS[demo]
    const uri = new URL(new URL(backchannelLogoutUri).pathname, origin)
    uri.hostname = '127.0.0.1'
    idp.setBackchannelLogoutUri(clientId, uri.href)
  })

  it('sends a signed-out visit of a protected page to the IdP login, and back there after login', async () => {
    const { page, origin, issuer } = target()
    await page.goto(`${origin}/profile`)
    expect(new URL(page.url()).origin).toBe(issuer)
    await signInAtDevIdp(page)
    await page.waitForURL(`${origin}/profile`)
    await expect(page.locator('#status-0').textContent()).resolves.toBe('200')
  })

  it('shows the claims on the home page and calls the API with the session token', async () => {
    const { page, context, origin, issuer } = target()
    await page.goto(`${origin}/`)
    await expect(page.locator('#sub').textContent()).resolves.toBe('alice')
    const claims = JSON.parse((await page.locator('#claims').textContent()) ?? '{}')
    expect(claims).toMatchObject({ sub: 'alice', email: 'alice@example.test', iss: issuer })
    await page.goto(`${origin}/profile`)
    const statuses = await Promise.all([0, 1, 2].map((i) => page.locator(`#status-${i}`).textContent()))
    expect(statuses).toEqual(['200', '201', '403']) // any token; scope write; scope admin (not granted)
    expect(JSON.parse((await page.locator('#body-0').textContent()) ?? '{}')).toMatchObject({ sub: 'alice' })
    const cookie = (await context.cookies(origin)).find((c) => c.name === 'auth.session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' })
    expect(await page.content()).not.toMatch(/eyJ[\w-]+\.eyJ/) // no token in the page
  })

  it("accepts the token server's machine tokens at its API, by scope, beside the IdP's", async () => {
    const { origin, tokenServer } = target()
    const read = await machineToken(tokenServer, 'read')
    const write = await machineToken(tokenServer, 'read write')
    const call = (method: string, path: string, token: string) =>
      fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${token}` } })
    const profile = await call('GET', '/api/profile', read)
    expect(profile.status).toBe(200)
    // RFC 9068: the subject of a client-credentials token is the client itself.
    expect(await profile.json()).toMatchObject({ sub: tokenServer.client.clientId })
    expect((await call('POST', '/api/notes', read)).status).toBe(403)
    expect((await call('POST', '/api/notes', write)).status).toBe(201)
    expect((await call('GET', '/api/admin', write)).status).toBe(403)
    // One byte changed in the signature: the issuer is trusted, the token is not.
    const forged = `${read.slice(0, -2)}${read.endsWith('A') ? 'B' : 'A'}${read.slice(-1)}`
    const refused = await call('GET', '/api/profile', forged)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('enrols an authenticator app on the MFA settings page (QR code, then a TOTP code)', async () => {
    const { page, origin } = target()
    await page.goto(`${origin}/mfa`)
    await expect(page.locator('#mfa-method').textContent()).resolves.toBe('none')
    await page.locator('#enrol-totp').click()
    await page.locator('#qr svg').waitFor()
    const secret = (await page.locator('#totp-secret').textContent()) ?? ''
    await page.locator('#otp').fill(await generateTotp(base32Decode(secret), Math.floor(Date.now() / 1000)))
    await page.locator('#verify').click()
    await page.locator('#changed').waitFor()
    await expect(page.locator('#mfa-method').textContent()).resolves.toBe('totp')
  })

  it('logs out at the app and at the IdP, and is signed out afterwards', async () => {
    const { page, context, origin, issuer } = target()
    await page.goto(`${origin}/`)
    await page.locator('#logout').click()
    await signOutAtDevIdp(page)
    await page.waitForURL(`${origin}/`)
    await page.locator('#signed-out').waitFor()
    expect((await context.cookies(origin)).some((c) => c.name === 'auth.session')).toBe(false)
    // Signed out at the IdP too: the next login asks for the password again.
    await page.locator('#login').click()
    await page.locator('#username').waitFor()
    expect(new URL(page.url()).origin).toBe(issuer)
  })

  it('is signed out when the user signs out at the IdP (back-channel logout)', async () => {
    const { page, context, origin, issuer, idp } = target()
    await page.goto(`${origin}/profile`)
    await signInAtDevIdp(page)
    await page.waitForURL(`${origin}/profile`)
    await expect(page.locator('#status-0').textContent()).resolves.toBe('200')

    // At the IdP, not through the demo: its end_session endpoint and the sign-out confirmation.
    await page.goto(idp.endpoints.endSession)
    await page.locator(`#${PAGE_IDS.signOut}`).click()
    await page.locator(`#${PAGE_IDS.signedOut}`).waitFor()
    // The browser still holds the demo's session cookie, but the session behind it is gone.
    expect((await context.cookies(origin)).some((c) => c.name === 'auth.session')).toBe(true)
    await page.goto(`${origin}/`)
    await page.locator('#signed-out').waitFor()
    await page.goto(`${origin}/profile`)
    await page.locator('#username').waitFor() // sent to the IdP's login: signed out there too
    expect(new URL(page.url()).origin).toBe(issuer)
  })

  it('lists where the user is signed in, signs out everywhere else, then everywhere', async () => {
    const { page, context, origin, idp } = target()
    // A second browser (its own cookies) signed in as the same user.
    const other = await (context.browser() as NonNullable<ReturnType<BrowserContext['browser']>>).newContext()
    try {
      const phone = await other.newPage()
      await phone.goto(`${origin}/profile`)
      await signInAtDevIdp(phone)
      await phone.waitForURL(`${origin}/profile`)

      await page.goto(`${origin}/sessions`)
      if (new URL(page.url()).origin !== new URL(origin).origin) {
        await signInAtDevIdp(page)
        await page.waitForURL(`${origin}/sessions`)
      }
      await expect(page.locator('#sessions tr.session').count()).resolves.toBeGreaterThanOrEqual(2)
      await expect(page.locator('#sessions tr.current').count()).resolves.toBe(1)

      await page.locator('#revoke-others').click()
      await page.waitForURL(`${origin}/sessions`)
      await expect(page.locator('#sessions tr.session').count()).resolves.toBe(1)
      await phone.goto(`${origin}/`)
      await phone.locator('#signed-out').waitFor()

      await page.locator('#revoke-all').click()
      await page.waitForURL(`${origin}/`)
      await page.locator('#signed-out').waitFor()
      expect((await context.cookies(origin)).some((c) => c.name === 'auth.session')).toBe(false)
      // Signed out of the app only: end the IdP session too, for whatever runs next.
      await page.goto(idp.endpoints.endSession)
      await page.locator(`#${PAGE_IDS.signOut}`).click()
      await page.locator(`#${PAGE_IDS.signedOut}`).waitFor()
    } finally {
      await other.close()
    }
  })
  it('registers a passkey, signs in with it alone, approves a transaction, renames and deletes it', async () => {
    const { page, context, origin, issuer } = target()
    // A relying party id is a domain name, never an IP address: the passkeys run on localhost.
    const local = new URL(origin)
    local.hostname = 'localhost'
    const site = local.origin
    const cdp = await context.newCDPSession(page)
    await cdp.send('WebAuthn.enable', {})
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    })
    try {
      // Signed in through the dev IdP, a passkey is added on the passkeys page.
      await page.goto(`${site}/profile`)
      await signInAtDevIdp(page)
      await page.waitForURL(`${site}/profile`)
      await page.goto(`${site}/passkeys`)
      await page.locator('#signed-in').waitFor()
      await page.locator('#passkey-register').click()
      await passkeyOutcome(page, '#passkey-list li')
      const stored = await cdp.send('WebAuthn.getCredentials', { authenticatorId })
      expect(stored.credentials).toHaveLength(1)
      expect(stored.credentials[0]?.isResidentCredential).toBe(true)

      // Signed out at the app and at the IdP: the passkey alone signs in, the IdP never asked.
      await page.goto(`${site}/`)
      await page.locator('#logout').click()
      await signOutAtDevIdp(page)
      await page.waitForURL(`${site}/`)
      const toIdp: string[] = []
      const watch = (request: { url(): string }) => {
        if (request.url().startsWith(issuer)) toIdp.push(request.url())
      }
      page.on('request', watch)
      // The button (the page's autofill request turned off, so the button's is the one answered).
      await page.goto(`${site}/passkeys?autofill=off`)
      await page.locator('#signed-out').waitFor()
      await page.locator('#passkey-signin').click()
      await passkeyOutcome(page, '#signed-in')
      await page.locator('#logout').click()
      await page.waitForURL(`${site}/`)
      // Autofill (conditional mediation): the virtual authenticator answers the page's request.
      await page.goto(`${site}/passkeys`)
      await page.locator('#signed-in').waitFor()
      page.off('request', watch)
      expect(toIdp).toEqual([])
      expect(JSON.parse((await page.locator('#amr').textContent()) ?? '[]')).toEqual(['pop', 'user', 'mfa'])
      await page.goto(`${site}/`)
      const claims = JSON.parse((await page.locator('#claims').textContent()) ?? '{}')
      expect(claims).toMatchObject({ sub: 'alice', iss: site, amr: ['pop', 'user', 'mfa'] })
      expect((await context.cookies(site)).some((c) => c.name === 'auth.session')).toBe(true)

      // The passkey approves a text, then is renamed and deleted.
      await page.goto(`${site}/passkeys`)
      await page.locator('#passkey-list li').first().waitFor()
      await page.locator('#tx-text').fill('Pay $5 to Bob?')
      await page.locator('#tx-approve').click()
      await passkeyOutcome(page, '#tx-result:has-text("Approved: Pay $5 to Bob?")')
      const row = page.locator('#passkey-list li').first()
      await row.locator('.rename-name').fill('Work laptop')
      await row.locator('.rename').click()
      await passkeyOutcome(page, '#passkey-list .passkey-name:has-text("Work laptop")')
      await page.locator('#passkey-list li .delete').first().click()
      await passkeyOutcome(page, '#passkey-status:has-text("Deleted")')
      await expect(page.locator('#passkey-list li').count()).resolves.toBe(0)
      const left = await page.evaluate(async () => (await fetch('/passkeys/credentials')).json())
      expect(left).toMatchObject({ total: 0 })

      // Signed out again, for whatever runs next (a passkey session has no IdP session to end).
      await page.goto(`${site}/`)
      await page.locator('#logout').click()
      await page.waitForURL(`${site}/`)
      await page.locator('#signed-out').waitFor()
    } finally {
      await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId })
      await cdp.detach()
    }
  })
}
