/**
 * Starts each demo app in this process on 127.0.0.1 (a free port), configured exactly as
 * `npm run demo` configures it, against the given dev IdP.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth, createTokenVerifier } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DemoName, demoSettings } from '@org/demo-ui'
import { createApp as createExpressDemo } from '@org/express-demo/app'
import { createApp as createHonoDemo } from '@org/hono-demo/app'

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
async function demoOptions(name: DemoName, issuer: string) {
  const settings = demoSettings(name, { ISSUER: issuer })
  return {
    verifier: createTokenVerifier(settings.verifier),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
  }
}

/** The demos the browser suite runs, by name. */
export const DEMOS = {
  express: async (issuer: string) => {
    const app = createExpressDemo(await demoOptions('express', issuer))
    return listening(app.listen(0, '127.0.0.1'))
  },
  hono: async (issuer: string) => {
    const app = createHonoDemo(await demoOptions('hono', issuer))
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
  },
} satisfies Partial<Record<DemoName, (issuer: string) => Promise<RunningDemo>>>
