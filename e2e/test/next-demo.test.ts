import { type DevServices, startDevServices } from '@org/demo-ui'
import type { DevIdp } from '@org/dev-idp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../src/browser.js'
import { issuersOf, type RunningDemo } from '../src/demos.js'
import { buildNextDemo, startNextDemo } from '../src/next-demo.js'
import { demoScenario } from '../src/scenario.js'

// The Next.js demo built with `next build` and run with `next start`, in headless Chromium: the
// scenario every demo passes (src/scenario.ts), plus Next-specific checks.
let services: DevServices
let idp: DevIdp
let demo: RunningDemo | undefined
let browser: Browser | undefined
let context: BrowserContext
let page: Page
beforeAll(async () => {
  await buildNextDemo()
  services = await startDevServices()
  idp = services.idp
  demo = await startNextDemo(issuersOf(services))
  browser = await launchChromium()
  context = await browser.newContext()
  page = await context.newPage()
  page.setDefaultTimeout(60_000)
}, 600_000)
afterAll(async () => {
  await context?.close()
  await browser?.close()
  await demo?.close()
  await services?.close()
})

describe('next demo (next start) in Chromium', () => {
  const origin = () => (demo as RunningDemo).origin
  demoScenario(() => ({
    page,
    context,
    origin: origin(),
    issuer: idp.issuer,
    idp,
    tokenServer: services.tokenServer,
    demo: 'next',
  }))

  it('answers API calls without a token with an RFC 6750 challenge', async () => {
    const response = await fetch(`${origin()}/api/profile`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="next-demo", DPoP realm="next-demo", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
  })

  it('never serves the protected page to the header that once skipped Next middleware (CVE-2025-29927)', async () => {
    const response = await fetch(`${origin()}/profile`, {
      redirect: 'manual',
      headers: { 'x-middleware-subrequest': 'proxy:proxy:proxy:proxy:proxy', accept: 'text/html' },
    })
    // fetch() sends `Sec-Fetch-Mode: cors`: the proxy answers 401; were it skipped, the page
    // itself redirects to the login. Never the page.
    expect([302, 307, 401]).toContain(response.status)
    expect(await response.text()).not.toContain('API calls with your access token')
  })
})
