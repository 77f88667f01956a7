/**
 * Starts each demo app in this process on 127.0.0.1 (a free port), configured exactly as
 * `npm run demo` configures it, against the given dev IdP.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth, createTokenVerifier } from '@org/auth-core'
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

/** The demos the browser suite runs, by name. */
export const DEMOS = {
  express: (issuer: string) => {
    const settings = demoSettings('express', { ISSUER: issuer })
    const app = createExpressDemo({
      verifier: createTokenVerifier(settings.verifier),
      auth: createAuth(settings.auth),
    })
    return listening(app.listen(0, '127.0.0.1'))
  },
  hono: (issuer: string) => {
    const settings = demoSettings('hono', { ISSUER: issuer })
    const app = createHonoDemo({
      verifier: createTokenVerifier(settings.verifier),
      auth: createAuth(settings.auth),
    })
    return listening(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server)
  },
} satisfies Partial<Record<DemoName, (issuer: string) => Promise<RunningDemo>>>
