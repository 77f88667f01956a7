/**
 * What every demo must do in a real browser, as one set of tests: log in through the dev IdP's
 * real pages (from a protected page, and back to it), see the claims, call the protected API with
 * the session's access token, enrol TOTP on the MFA settings page, log out at the app and the IdP.
 * Each demo's test file starts its demo its own way and registers these tests inside a `describe`.
 */
import { base32Decode, generateTotp } from '@org/auth-server'
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
}
