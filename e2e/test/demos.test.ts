import { type DevServices, startDevServices } from '@org/demo-ui'
import type { DevIdp } from '@org/dev-idp'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe } from 'vitest'
import { launchChromium } from '../src/browser.js'
import { DEMOS, issuersOf, type RunningDemo } from '../src/demos.js'
import { demoScenario } from '../src/scenario.js'

// The Express and Hono demos in headless Chromium, started in this process: the scenario every
// demo passes (src/scenario.ts).
let services: DevServices
let idp: DevIdp
let browser: Browser | undefined
beforeAll(async () => {
  services = await startDevServices()
  idp = services.idp
})
afterAll(async () => {
  await browser?.close()
  await services?.close()
})

describe.each(Object.keys(DEMOS) as (keyof typeof DEMOS)[])('%s demo in Chromium', (name) => {
  let demo: RunningDemo
  let context: BrowserContext
  let page: Page
  beforeAll(async () => {
    demo = await DEMOS[name](issuersOf(services))
    browser ??= await launchChromium()
    context = await browser.newContext()
    page = await context.newPage()
    page.setDefaultTimeout(60_000)
  })
  afterAll(async () => {
    await context?.close()
    await demo?.close()
  })

  demoScenario(() => ({
    page,
    context,
    origin: demo.origin,
    issuer: idp.issuer,
    idp,
    tokenServer: services.tokenServer,
    demo: name,
  }))
})
