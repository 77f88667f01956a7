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

/**
 * Starts `redis-server` on a free port; `stop()` / `start()` take it down and bring it back.
 * `undefined` when `redis-server` is not installed.
 */
export async function startOwnRedis(): Promise<OwnRedis | undefined> {
  const { execFile } = await import('node:child_process')
  const installed = await new Promise<boolean>((resolve) =>
    execFile('redis-server', ['--version'], (error) => resolve(error === null)),
  )
  if (!installed) return undefined
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

export interface OwnPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it for good and deletes its data folder. */
  dispose(): Promise<void>
}

/** The PostgreSQL server binaries (Debian keeps them per major version), or `undefined`. */
async function postgresBin(): Promise<string | undefined> {
  const { readdir } = await import('node:fs/promises')
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0]
  return newest === undefined ? undefined : `/usr/lib/postgresql/${newest}/bin`
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary folder, trust auth, a free port),
 * that `stop()` shuts down (fast: running transactions are cut) and `start()` brings back on the
 * same data. `undefined` when the server binaries are not installed. As root, the cluster runs
 * as the `postgres` user (PostgreSQL refuses to run as root).
 */
export async function startOwnPostgres(): Promise<OwnPostgres | undefined> {
  const bin = await postgresBin()
  if (bin === undefined) return undefined
  const { execFile } = await import('node:child_process')
  const { promisify } = await import('node:util')
  const { chown } = await import('node:fs/promises')
  const run = promisify(execFile)
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'org-auth-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: group } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(group.trim()))
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', `${bin}/${tool}`, ...args]) : run(`${bin}/${tool}`, args)
  const data = join(dir, 'data')
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on`
  const start = async () => {
    await pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
    await waitForPort(port, true)
  }
  const stop = async () => {
    await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined)
    await waitForPort(port, false)
  }
  await start()
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    dispose: async () => {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
