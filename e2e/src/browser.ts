/**
 * Headless Chromium for the browser tests: Debian's `chromium` package driven by playwright-core
 * (which downloads no browser of its own). A missing browser is an error, never a skipped test:
 * `.ci/run` installs it, and locally `apt-get install -y chromium` (or CHROMIUM_PATH) does.
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Where Debian's `chromium` package puts the browser; `CHROMIUM_PATH` overrides it. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * Headless, and quiet: as root in a container the sandbox cannot start, there is no GPU, and
 * nothing should phone home (updates, sync, field trials) while tests run.
 */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
])

export interface LaunchChromiumOptions {
  /** The browser binary. Default: env `CHROMIUM_PATH`, else {@link DEFAULT_CHROMIUM_PATH}. */
  executablePath?: string
  /** Milliseconds to wait for the browser to start. Default: 60 000 (a loaded 2-core machine is slow). */
  timeout?: number
}

/** The binary `launchChromium` starts when given no `executablePath`. */
export function chromiumPath(): string {
  const fromEnv = process.env['CHROMIUM_PATH']
  return fromEnv && fromEnv.length > 0 ? fromEnv : DEFAULT_CHROMIUM_PATH
}

/**
 * Starts headless Chromium. Rejects, with what to install, when the binary is missing; the
 * caller closes the browser (in `afterAll`, so a failed test cannot leak the process).
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? chromiumPath()
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH`,
    )
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: options.timeout ?? 60_000,
  })
}
