/**
 * The Next.js demo as users run it: `next build`, then `next start` on a free loopback port,
 * configured through the environment (ISSUER, PORT) as `npm run demo` configures it.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { buildNext, type NextApp, startNext } from '@org/test-kit/next-process'
import type { DemoIssuers, RunningDemo } from './demos.js'

const require = createRequire(import.meta.url)
const DEMO_DIR = dirname(require.resolve('@org/next-demo/package.json'))
const DEMO: NextApp = {
  dir: DEMO_DIR,
  bin: createRequire(`${DEMO_DIR}/package.json`).resolve('next/dist/bin/next'),
}

/**
 * `next build` with Turbopack (Next 16's default), as the demo's scripts run it. Rejects with the
 * build output on failure.
 */
export async function buildNextDemo(): Promise<void> {
  const { code, output } = await buildNext(DEMO)
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output}`)
}

/**
 * `next start` of the built demo against `issuer`; resolves once Next says it is ready. The origin
 * is `http://localhost:<port>` (the server listens on 127.0.0.1): Next reports loopback hosts as
 * `localhost` in request URLs, so that is the origin the login's redirect URI names.
 */
export async function startNextDemo(issuers: DemoIssuers): Promise<RunningDemo> {
  const running = await startNext(DEMO, (port) => ({
    ISSUER: issuers.issuer,
    MACHINE_ISSUER: issuers.machineIssuer,
    PORT: String(port),
  }))
  return { origin: `http://localhost:${running.port}`, close: running.close }
}
