/**
 * The Next app fixture (test/fixtures/next16-app) as a user runs it: `next build` with Next's
 * default bundler (Turbopack), then `next start` on a free loopback port (`@org/test-kit`'s Next
 * process helpers: process groups, readiness from Next's own output).
 */
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { buildNext, type NextApp, startNext } from '@org/test-kit/next-process'

export const APP_DIR = fileURLToPath(new URL('./fixtures/next16-app/', import.meta.url))
const APP: NextApp = { dir: APP_DIR, bin: createRequire(import.meta.url).resolve('next/dist/bin/next') }

/** The caller's environment minus what the fixture reads, which each run sets itself. */
function fixtureEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return {
    // vitest's NODE_ENV=test would change how Next builds; Next sets production itself.
    NODE_ENV: undefined,
    SESSION_SECRET: undefined,
    NEXT_PHASE: undefined,
    ...env,
  }
}

/** `next build`: the exit code and everything it printed. */
export function buildApp(env: Record<string, string | undefined> = {}) {
  return buildNext(APP, fixtureEnv(env))
}

export interface RunningApp {
  origin: string
  /** Everything the server printed so far. */
  output(): string
  close(): Promise<void>
}

/** `next start` of the built fixture on a free port; resolves once Next says it is ready. */
export async function startApp(env: Record<string, string | undefined>): Promise<RunningApp> {
  const running = await startNext(APP, () => fixtureEnv(env))
  return { origin: `http://127.0.0.1:${running.port}`, output: running.output, close: running.close }
}
