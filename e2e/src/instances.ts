/**
 * Demo instances as separate processes (`tsx apps/<demo>/src/main.ts`), the way several replicas
 * of one application run behind a load balancer: the same client, `SESSION_SECRET` and public
 * origin (`APP_BASE_URL`), and shared stores (`REDIS_URL` / `DATABASE_URL`); nothing else shared.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface Instance {
  /** `http://localhost:<port>`: where this instance listens (not the public origin). */
  origin: string
  port: number
  /** What the process printed, for a failure's message. */
  output(): string
  stop(): Promise<void>
}

/** A free TCP port on loopback (bound, read and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Starts `apps/<demo>-demo/src/main.ts` on `port` with `env`, and waits until its home page answers. */
export async function startInstance(
  demo: 'express' | 'hono',
  port: number,
  env: Record<string, string>,
): Promise<Instance> {
  const child: ChildProcess = spawn(
    `${root}apps/${demo}-demo/node_modules/.bin/tsx`,
    [`${root}apps/${demo}-demo/src/main.ts`],
    {
      cwd: `${root}apps/${demo}-demo`,
      // Only what the test names (plus PATH): no REDIS_URL or DATABASE_URL of the outer run leaks in.
      env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'development', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const origin = `http://localhost:${port}`
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
      await exited
    }
  }
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${demo} instance exited:\n${output}`)
    try {
      const response = await fetch(`${origin}/`, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      if (response.ok) return { origin, port, output: () => output, stop }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await stop()
  throw new Error(`${demo} instance did not answer on ${origin} within 60 s:\n${output}`)
}
