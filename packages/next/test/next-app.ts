/**
 * The Next app fixture (test/fixtures/next16-app) as a user runs it: `next build` with Next's
 * default bundler (Turbopack), then `next start` on a free loopback port. Each server runs in a
 * process group of its own and is stopped as one (Next starts workers).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const APP_DIR = fileURLToPath(new URL('./fixtures/next16-app/', import.meta.url))
const NEXT_BIN = createRequire(import.meta.url).resolve('next/dist/bin/next')

function next(
  args: string[],
  env: Record<string, string | undefined>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd: APP_DIR,
    // The caller's environment minus what the fixture reads, which each run sets itself.
    env: {
      ...process.env,
      // vitest's NODE_ENV=test would change how Next builds; Next sets production itself.
      NODE_ENV: undefined,
      SESSION_SECRET: undefined,
      NEXT_PHASE: undefined,
      NEXT_TELEMETRY_DISABLED: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const append = (chunk: Buffer) => {
    output += chunk.toString()
  }
  child.stdout?.on('data', append)
  child.stderr?.on('data', append)
  return { child, output: () => output }
}

/** `next build`: the exit code and everything it printed. */
export async function buildApp(
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; output: string }> {
  const { child, output } = next(['build'], env)
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output: output() }
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface RunningApp {
  origin: string
  /** Everything the server printed so far. */
  output(): string
  close(): Promise<void>
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = once(child, 'exit')
  process.kill(-child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL')
  }, 5_000)
  await exited
  clearTimeout(timer)
}

/**
 * `next start` of the built fixture on a free port; resolves once Next says it is ready. Readiness
 * is read from Next's own output, never by probing the port: under load another test's server may
 * take the port between `freePort()` and Next's listen, and would answer the probe (and the test's
 * requests) in its place. Next then exits with EADDRINUSE, and the start is retried on another port.
 */
export async function startApp(env: Record<string, string | undefined>): Promise<RunningApp> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const { child, output } = next(['start', '-p', String(port), '-H', '127.0.0.1'], env)
    const deadline = Date.now() + 60_000
    while (!/Ready in/.test(output()) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (child.exitCode !== null) {
      if (/EADDRINUSE/.test(output()) && attempt < 3) continue
      throw new Error(`next start exited (${child.exitCode}):\n${output()}`)
    }
    if (!/Ready in/.test(output())) {
      await stop(child)
      throw new Error(`next start did not answer in time:\n${output()}`)
    }
    return { origin: `http://127.0.0.1:${port}`, output, close: () => stop(child) }
  }
}
