/**
 * The Next.js demo as users run it: `next build`, then `next start` on a free loopback port,
 * configured through the environment (ISSUER, PORT) as `npm run demo` configures it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import type { RunningDemo } from './demos.js'

const require = createRequire(import.meta.url)
const DEMO_DIR = dirname(require.resolve('@org/next-demo/package.json'))
const NEXT_BIN = createRequire(`${DEMO_DIR}/package.json`).resolve('next/dist/bin/next')

/** Runs the `next` CLI in the demo's directory, in a process group of its own (killed as one). */
function next(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd: DEMO_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
}

function collect(child: ChildProcess): () => string {
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  return () => output
}

/**
 * `next build` with Turbopack (Next 16's default), as the demo's scripts run it. Rejects with the
 * build output on failure.
 */
export async function buildNextDemo(): Promise<void> {
  const child = next(['build'])
  const output = collect(child)
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output()}`)
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

/** Stops the server's whole process group (Next starts workers), forcefully if it lingers. */
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
 * `next start` of the built demo against `issuer`; resolves once it answers HTTP. The origin is
 * `http://localhost:<port>` (the server listens on 127.0.0.1): Next reports loopback hosts as
 * `localhost` in request URLs, so that is the origin the login's redirect URI names.
 */
export async function startNextDemo(issuer: string): Promise<RunningDemo> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const child = next(['start', '-p', String(port), '-H', '127.0.0.1'], { ISSUER: issuer, PORT: String(port) })
  const output = collect(child)
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output()}`)
    const answered = await fetch(`http://127.0.0.1:${port}/api/profile`).then(
      (response) => response.status,
      () => 0,
    )
    if (answered === 401) break
    if (Date.now() > deadline) {
      await stop(child)
      throw new Error(`next start did not answer in time:\n${output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { origin, close: () => stop(child) }
}
