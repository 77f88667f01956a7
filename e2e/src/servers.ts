/**
 * A Redis server of the test's own, on a spare port, for fault tests that stop and restart it.
 * It keeps its data in an append-only file in a temporary folder, so a restart finds what was
 * written before (as a production Redis with persistence does).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './instances.js'

export interface OwnRedis {
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it for good and deletes its folder. */
  dispose(): Promise<void>
}

async function waitForPort(port: number, up: boolean): Promise<void> {
  const { connect } = await import('node:net')
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open === up) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`port ${port} did not ${up ? 'open' : 'close'} within 15 s`)
}

/** Starts `redis-server` on a free port; `stop()` / `start()` take it down and bring it back. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'org-auth-redis-'))
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    )
    await waitForPort(port, true)
  }
  const stop = async () => {
    const running = child
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    // SIGTERM: Redis flushes its append-only file and exits.
    running.kill('SIGTERM')
    await exited
    await waitForPort(port, false)
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    dispose: async () => {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
