/**
 * Starts each demo app in this process on 127.0.0.1 (a free port), configured exactly as
 * `npm run demo` configures it, against the given dev IdP.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DemoName, type DevServices, demoApiVerifier, demoSettings } from '@org/demo-ui'
import { createApp as createExpressDemo } from '@org/express-demo/app'
import { createApp as createHonoDemo } from '@org/hono-demo/app'

/** Whom a demo trusts: the dev IdP (login and its tokens) and the token server (machine tokens). */
export interface DemoIssuers {
  issuer: string
  machineIssuer: string
}

/** The issuers of the dev services a test started. */
export function issuersOf(services: DevServices): DemoIssuers {
  return { issuer: services.idp.issuer, machineIssuer: services.tokenServer.issuer }
}

export interface RunningDemo {
  origin: string
  close(): Promise<void>
}

async function listening(server: Server): Promise<RunningDemo> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** What `npm run demo` gives each demo: its verifier, web login and delegation client. */
async function demoOptions(name: DemoName, issuers: DemoIssuers) {
  const settings = demoSettings(name, { ISSUER: issuers.issuer, MACHINE_ISSUER: issuers.machineIssuer })
  return {
    verifier: demoApiVerifier(settings),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
  }
}

/** The demos the browser suite runs, by name. */
export const DEMOS = {
  express: async (issuers: DemoIssuers) => {
    const app = createExpressDemo(await demoOptions('express', issuers))
    return listening(app.listen(0, '127.0.0.1'))
  },
  hono: async (issuers: DemoIssuers) => {
    const app = createHonoDemo(await demoOptions('hono', issuers))
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
  },
} satisfies Partial<Record<DemoName, (issuers: DemoIssuers) => Promise<RunningDemo>>>
