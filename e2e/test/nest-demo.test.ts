import { type DevServices, startDevServices } from '@org/demo-ui'
import type { DevIdp } from '@org/dev-idp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe } from 'vitest'
import { launchChromium } from '../src/browser.js'
import { issuersOf, type RunningDemo } from '../src/demos.js'
import { startNestDemo } from '../src/nest-demo.js'
import { demoScenario } from '../src/scenario.js'

// The Nest demo in headless Chromium, on both of Nest's HTTP platforms: the scenario every demo
// passes (src/scenario.ts).
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
    demo = await startNestDemo(issuersOf(services), platform)
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

  demoScenario(() => ({
    page,
    context,
    origin: demo.origin,
    issuer: idp.issuer,
    idp,
    tokenServer: services.tokenServer,
    demo: 'nest',
  }))
})
