/**
 * A Next.js app run as users run it: `next build`, then `next start` on a free loopback port. Used
 * by the Next adapter's build test and the e2e demo tests. Each process runs in a group of its
 * own (Next starts workers) and is stopped as one.
 *
 * A server counts as started when Next prints "Ready in", never when its port answers: under load
 * another test's server may take the port between `freePort()` and Next's listen, and would
 * answer a probe (and the test's requests) in its place. Next then exits with EADDRINUSE, and the
 * start is retried on another port.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

export interface NextApp {
  /** The app's directory (where `next build` wrote `.next`). */
  dir: string
  /** `next/dist/bin/next`, resolved from the app. */
  bin: string
}

export interface NextProcess {
  child: ChildProcess
  /** Everything it printed so far. */
  output(): string
}

export interface RunningNext {
  port: number
  /** Everything the server printed so far. */
  output(): string
  close(): Promise<void>
}

/** Runs the `next` CLI in the app's directory, in a process group of its own. */
export function runNext(app: NextApp, args: readonly string[], env: NodeJS.ProcessEnv = {}): NextProcess {
  const child = spawn(process.execPath, [app.bin, ...args], {
    cwd: app.dir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env },
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

/** `next build`: its exit code and everything it printed. */
export async function buildNext(
  app: NextApp,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  const { child, output } = runNext(app, ['build'], env)
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, output: output() }
}

/** A port free on the loopback interface right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Stops a process group, forcefully if it lingers past 5 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
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
 * `next start` of a built app on a free port (`env` may name it through `PORT`: pass a function
 * of the port); resolves once Next says it is ready.
 */
export async function startNext(
  app: NextApp,
  env: (port: number) => NodeJS.ProcessEnv = () => ({}),
): Promise<RunningNext> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const { child, output } = runNext(app, ['start', '-p', String(port), '-H', '127.0.0.1'], env(port))
    const deadline = Date.now() + 60_000
    while (!/Ready in/.test(output()) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    if (child.exitCode !== null) {
      if (/EADDRINUSE/.test(output()) && attempt < 3) continue
      throw new Error(`next start exited (${child.exitCode}):\n${output()}`)
    }
    if (!/Ready in/.test(output())) {
      await stopGroup(child)
      throw new Error(`next start did not answer in time:\n${output()}`)
    }
    return { port, output, close: () => stopGroup(child) }
  }
}
