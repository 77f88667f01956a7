import { base32Decode, generateTotp } from '@org/auth-server'
import { type DevServices, startDevServices } from '@org/demo-ui'
import type { DevIdp } from '@org/dev-idp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../src/browser.js'
import type { RunningDemo } from '../src/demos.js'
import { signInAtDevIdp, signOutAtDevIdp } from '../src/dev-idp.js'
import { startNestDemo } from '../src/nest-demo.js'

// The Nest demo in headless Chromium, on both of Nest's HTTP platforms: the scenario of
// demos.test.ts (log in through the dev IdP's real pages, see the claims, call the protected API
// with the session's access token, enrol MFA, log out locally and at the IdP).
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
})

describe.each(['express', 'fastify'] as const)('nest demo (%s) in Chromium', (platform) => {
  // Services of their own per platform: the MFA enrolment changes alice's state at the IdP.
  let services: DevServices
  let idp: DevIdp
  let demo: RunningDemo
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    services = await startDevServices()
    idp = services.idp
    demo = await startNestDemo(idp.issuer, platform)
    browser ??= await launchChromium()
    context = await browser.newContext()
    page = await context.newPage()
    page.setDefaultTimeout(60_000)
  })
  afterAll(async () => {
    await context?.close()
    await demo?.close()
    await services?.close()
  })

  it('sends a signed-out visit of a protected page to the IdP login, and back there after login', async () => {
    await page.goto(`${demo.origin}/profile`)
    expect(new URL(page.url()).origin).toBe(idp.issuer)
    await signInAtDevIdp(page)
    await page.waitForURL(`${demo.origin}/profile`)
    await expect(page.locator('#status-0').textContent()).resolves.toBe('200')
  })

  it('shows the claims on the home page and calls the API with the session token', async () => {
    await page.goto(`${demo.origin}/`)
    await expect(page.locator('#sub').textContent()).resolves.toBe('alice')
    const claims = JSON.parse((await page.locator('#claims').textContent()) ?? '{}')
    expect(claims).toMatchObject({ sub: 'alice', email: 'alice@example.test', iss: idp.issuer })
    await page.goto(`${demo.origin}/profile`)
    const statuses = await Promise.all([0, 1, 2].map((i) => page.locator(`#status-${i}`).textContent()))
    expect(statuses).toEqual(['200', '201', '403']) // any token; scope write; scope admin (not granted)
    expect(JSON.parse((await page.locator('#body-0').textContent()) ?? '{}')).toMatchObject({ sub: 'alice' })
    const session = await context.cookies(demo.origin)
    const cookie = session.find((c) => c.name === 'auth.session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' })
    expect(await page.content()).not.toMatch(/eyJ[\w-]+\.eyJ/) // no token in the page
  })

  it('enrols an authenticator app on the MFA settings page (QR code, then a TOTP code)', async () => {
    await page.goto(`${demo.origin}/mfa`)
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
    await page.goto(`${demo.origin}/`)
    await page.locator('#logout').click()
    await signOutAtDevIdp(page)
    await page.waitForURL(`${demo.origin}/`)
    await page.locator('#signed-out').waitFor()
    expect((await context.cookies(demo.origin)).some((c) => c.name === 'auth.session')).toBe(false)
    // Signed out at the IdP too: the next login asks for the password again.
    await page.locator('#login').click()
    await page.locator('#username').waitFor()
    expect(new URL(page.url()).origin).toBe(idp.issuer)
  })
})
