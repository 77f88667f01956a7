/**
 * Child processes of the check: commands that must succeed (npm install, tsc, next build) and
 * servers that must answer HTTP. Each runs in a process group of its own, so a server's workers
 * (next start) are stopped with it, and its output is kept for the failure message.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { relative } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { log } from './log.js'

/** The last lines of a command's output, for a failure message (the whole log can be long). */
export function tail(output: string, lines = 60): string {
  const all = stripVTControlCharacters(output).trimEnd().split('\n')
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n')
}

/** Raised for a failed command or server: the message names what ran; `output` is its log. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message)
  }
}

export interface RunOptions {
  cwd: string
  env?: Record<string, string>
  /** Milliseconds before the command is killed. Default: 5 minutes. */
  timeoutMs?: number
}

/** `npx tsc` in /tmp/…/express, as printed: the command line and where it ran. */
export function describe(command: string, args: readonly string[], cwd: string): string {
  const where = relative(process.cwd(), cwd) || '.'
  return `${[command, ...args].join(' ')}  (in ${where.startsWith('..') ? cwd : where})`
}

/**
 * What pnpm and turbo set for this package's script is not the generated project's business:
 * `pnpm run` exports its whole configuration as `npm_config_*` (its own rc file as `globalconfig`,
 * `catalog`, `user_agent`...), which npm would read as the user's settings. Kept: the network
 * settings, which npm shares, and npm's cache folder (pnpm exports none; `npm_config_cache` set
 * by hand gives the check an empty cache, to time a cold install).
 */
const FOREIGN_ENV = /^(npm_|pnpm_|turbo_)/i
const KEPT_ENV = /^npm_config_(registry|cafile|proxy|https_proxy|noproxy|strict_ssl|cache)$/i

/** The environment of a project command: ours, minus the package manager's, plus `extra`. */
export function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!FOREIGN_ENV.test(name) || KEPT_ENV.test(name)) env[name] = value
  }
  return { ...env, ...extra }
}

function spawnGroup(command: string, args: readonly string[], options: RunOptions): ChildProcess {
  return spawn(command, args, {
    cwd: options.cwd,
    env: projectEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
}

function collect(child: ChildProcess): () => string {
  let output = ''
  const add = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => output
}

/** Kills a child's whole process group: SIGTERM, then SIGKILL after 5 s. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const pid = child.pid
  const exited = once(child, 'exit')
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-pid, name)
    } catch {
      // already gone
    }
  }
  signal('SIGTERM')
  const timer = setTimeout(() => signal('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** Runs a command to completion; rejects with its output when it fails or times out. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  log(`  $ ${describe(command, args, options.cwd)}`)
  const child = spawnGroup(command, args, options)
  const output = collect(child)
  const timeoutMs = options.timeoutMs ?? 5 * 60_000
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void stopGroup(child)
  }, timeoutMs)
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  if (timedOut)
    throw new CommandError(`\`${command} ${args.join(' ')}\` timed out after ${timeoutMs} ms`, output())
  if (code !== 0)
    throw new CommandError(`\`${command} ${args.join(' ')}\` exited with ${code ?? signal}`, output())
  return output()
}

export interface Server {
  readonly origin: string
  output(): string
  stop(): Promise<void>
}

export interface StartOptions extends RunOptions {
  port: number
  /** Polled until it answers (any HTTP status counts: the server is up). */
  probePath: string
  /**
   * Also wait for this in the server's output (Next's "Ready in"): a server that binds late could
   * otherwise be taken as up when another process on the port answered the probe.
   */
  readyOutput?: RegExp
}

/** Starts a server and resolves once `http://localhost:<port><probePath>` answers. */
export async function start(
  command: string,
  args: readonly string[],
  options: StartOptions,
): Promise<Server> {
  log(`  $ ${describe(command, args, options.cwd)} &`)
  const child = spawnGroup(command, args, options)
  const output = collect(child)
  const origin = `http://localhost:${options.port}`
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new CommandError(
        `\`${command} ${args.join(' ')}\` exited (${child.exitCode ?? child.signalCode}) before answering`,
        output(),
      )
    }
    const answered = await fetch(`${origin}${options.probePath}`, { redirect: 'manual' }).then(
      async (response) => {
        await response.body?.cancel()
        return true
      },
      () => false,
    )
    if (answered && (options.readyOutput === undefined || options.readyOutput.test(output()))) break
    if (Date.now() > deadline) {
      await stopGroup(child)
      throw new CommandError(`\`${command} ${args.join(' ')}\` did not answer on ${origin} in time`, output())
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  // The probe may have reached another process that took the port between freePort() and this
  // server's listen: then this one exits (EADDRINUSE) soon after. Say so rather than test the other.
  await new Promise((resolve) => setTimeout(resolve, 300))
  if (child.exitCode !== null || child.signalCode !== null) {
    throw new CommandError(
      `\`${command} ${args.join(' ')}\` exited after ${origin} answered: another process holds the port?`,
      output(),
    )
  }
  return { origin, output, stop: () => stopGroup(child) }
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
