/**
 * Starts each demo the way `npm run demo` does (its own `src/main.ts` under tsx; `next start` of
 * the built Next demo), configured by the environment variables the demos read (ISSUER, PORT),
 * against the soak's dev IdP. Each runs in a process group of its own, with a small probe
 * preloaded (`--import` of a data: URL, no file and no tsx needed) that reports
 * `process.memoryUsage()` over IPC, so the sampler sees the heap and not only the RSS.
 */
import { type ChildProcess, type ForkOptions, fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { freePort } from './child.js'
import type { DemoSite } from './soak-browser.js'
import type { DemoName } from './soak-config.js'
import { send } from './soak-http.js'

const APPS = new URL('../../apps/', import.meta.url)
const TSX_LOADER = import.meta.resolve('tsx')
const READY_TIMEOUT_MS = 90_000
const OUTPUT_LIMIT = 64 * 1024

/** What the probe sends: `process.memoryUsage()` of the demo's main process, and its last major GC. */
export interface ProbeMessage {
  soakProbe: 1
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  /** Heap used right after the latest mark-compact (the live heap then); undefined before the first. */
  heapAfterGc: number | undefined
  /** Mark-compact GCs so far. */
  majorGcs: number
}

/**
 * The probe's source: sends memory figures every `intervalMs`, and exits with its parent. A
 * PerformanceObserver notes the heap after each major GC (observing GC costs nothing measurable
 * and, unlike calling gc(), changes nothing in the demo).
 */
function probeImport(intervalMs: number): string {
  const source = `
    import { PerformanceObserver, constants } from 'node:perf_hooks'
    let heapAfterGc
    let majorGcs = 0
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue
        majorGcs += 1
        heapAfterGc = process.memoryUsage().heapUsed
      }
    }).observe({ entryTypes: ['gc'] })
    const report = () => {
      const m = process.memoryUsage()
      process.send?.({ soakProbe: 1, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, heapAfterGc, majorGcs })
    }
    setInterval(report, ${Math.round(intervalMs)}).unref()
    process.on('disconnect', () => process.exit(0))
  `
  return `data:text/javascript,${encodeURIComponent(source)}`
}

export interface RunningDemo {
  name: DemoName
  site: DemoSite
  pid: number
  /** The latest probe report, if any. */
  memory(): ProbeMessage | undefined
  /** The demo's last output (stdout and stderr, up to 64 KiB). */
  output(): string
  /** Whether the process ended on its own (a crash), and how. */
  exited(): string | undefined
  stop(): Promise<void>
}

function demoDir(name: DemoName): string {
  return new URL(`${name}-demo/`, APPS).pathname
}

function launch(name: DemoName, port: number, issuer: string, probe: string): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ISSUER: issuer,
    PORT: String(port),
    NEXT_TELEMETRY_DISABLED: '1',
  }
  const options: ForkOptions = { env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }
  if (name === 'next') {
    const dir = demoDir('next')
    const nextBin = createRequire(`${dir}package.json`).resolve('next/dist/bin/next')
    // = the demo's start script after its build: `next start -p $PORT -H 127.0.0.1`.
    return fork(nextBin, ['start', '-p', String(port), '-H', '127.0.0.1'], {
      ...options,
      cwd: dir,
      execArgv: ['--import', probe],
    })
  }
  const dir = demoDir(name)
  // = the demo's start script (`tsx src/main.ts`; Nest's with `--tsconfig tsconfig.run.json`).
  if (name === 'nest') env['TSX_TSCONFIG_PATH'] = `${dir}tsconfig.run.json`
  return fork(`${dir}src/main.ts`, [], {
    ...options,
    cwd: dir,
    execArgv: ['--import', TSX_LOADER, '--import', probe],
  })
}

/** `next build` (Turbopack) in the Next demo (its `build:demo` script); rejects with the output on failure. */
export async function buildNextDemo(): Promise<void> {
  const dir = demoDir('next')
  const nextBin = createRequire(`${dir}package.json`).resolve('next/dist/bin/next')
  const child = spawn(process.execPath, [nextBin, 'build'], {
    cwd: dir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`next build failed (${code}):\n${output}`)
}

export async function startDemo(name: DemoName, issuer: string, sampleSeconds: number): Promise<RunningDemo> {
  const port = await freePort()
  const child = launch(name, port, issuer, probeImport(sampleSeconds * 1000))
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let memory: ProbeMessage | undefined
  child.on('message', (message: ProbeMessage) => {
    if (message?.soakProbe === 1) memory = message
  })
  let exitedHow: string | undefined
  child.once('exit', (code, signal) => {
    exitedHow = `code ${code}, signal ${signal}`
  })

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
    const exited = once(child, 'exit')
    process.kill(-child.pid, 'SIGTERM')
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null)
        process.kill(-(child.pid as number), 'SIGKILL')
    }, 5_000)
    await exited
    clearTimeout(timer)
  }

  // Ready once the API answers a request without a token with its 401, on 127.0.0.1.
  const probeUrl = new URL(`http://127.0.0.1:${port}/api/profile`)
  const deadline = Date.now() + READY_TIMEOUT_MS
  for (;;) {
    if (exitedHow !== undefined)
      throw new Error(`${name}-demo exited before it answered (${exitedHow}):\n${output}`)
    const { status } = await send(probeUrl)
    if (status === 401) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(
        `${name}-demo did not answer on 127.0.0.1:${port} in time (last status ${status}):\n${output}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }

  // Next names loopback hosts `localhost` in request URLs (and so in its redirect URI); a browser
  // must then use that host for its cookies. The connection still goes to 127.0.0.1.
  const host = name === 'next' ? 'localhost' : '127.0.0.1'
  return {
    name,
    site: {
      origin: `http://${host}:${port}`,
      loginPath: name === 'next' ? '/api/auth/login' : '/auth/login',
      sessionCookie: 'auth.session',
      proxyRefreshes: name === 'next',
    },
    pid: child.pid as number,
    memory: () => memory,
    output: () => output,
    exited: () => exitedHow,
    stop,
  }
}
