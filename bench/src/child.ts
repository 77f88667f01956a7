/**
 * Runs one server under test as a child process (`fork` with tsx), waits for its IPC "ready",
 * and stops it again. Its stderr is kept so anything it logged under load is reported.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type ServerConfig, serverConfigToEnv } from './config.js'
import type { ServerMessage } from './server.js'

const SERVER_ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url))
const TSX_LOADER = import.meta.resolve('tsx')
const READY_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000
const STDERR_LIMIT = 64 * 1024
/** Read once, at import: after pinning, `availableParallelism()` reports only the pinned CPU. */
export const CORES = availableParallelism()

export interface RunningServer {
  readonly url: string
  readonly pid: number
  /** What the child wrote to stderr so far (first 64 KiB). */
  stderr(): string
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * On Linux with 2+ cores and `taskset`, pins a process (all its threads) to one CPU, so the load
 * generator (CPU 0) and the server under test (CPU 1) do not steal each other's core.
 * Returns false when pinning is unavailable.
 */
export function pinToCpu(pid: number, cpu: number): boolean {
  if (process.platform !== 'linux' || CORES < 2) return false
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
  return result.status === 0
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

export interface StartOptions {
  /** Folder for a V8 CPU profile of the child (`--cpu-prof`). */
  cpuProfDir?: string | undefined
  /** CPU to pin the child to, if any. */
  cpu?: number | undefined
  /** Another child entry than `server.ts` (the session bench has its own). */
  entry?: string | undefined
  /** More environment for the child. */
  env?: Record<string, string> | undefined
}

export async function startServer(
  config: Omit<ServerConfig, 'port'>,
  { cpuProfDir, cpu, entry = SERVER_ENTRY, env = {} }: StartOptions = {},
): Promise<RunningServer> {
  const port = await freePort()
  const execArgv = ['--import', TSX_LOADER]
  if (cpuProfDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', cpuProfDir)
  const child = fork(entry, [], {
    execArgv,
    env: { ...process.env, ...env, NODE_ENV: 'production', ...serverConfigToEnv({ ...config, port }) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  running.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8')
  })

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL')
        await waitForExit(child, STOP_TIMEOUT_MS)
      }
    }
    running.delete(child)
  }

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not ready in time')), READY_TIMEOUT_MS)
      child.on('message', (message: ServerMessage) => {
        clearTimeout(timer)
        if (message.type === 'ready') resolve()
        else reject(new Error(message.message))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`exited before ready (code ${code}, signal ${signal})`))
      })
    })
  } catch (error) {
    await stop()
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`Server ${config.name} failed to start: ${reason}\n${stderr}`)
  }

  if (cpu !== undefined && child.pid !== undefined && !pinToCpu(child.pid, cpu)) {
    process.stderr.write(`  ! could not pin ${config.name} to CPU ${cpu}\n`)
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stderr: () => stderr, stop }
}
