// Finds each runtime's binary in its npm platform package and runs it, bounded in time. The
// platform packages are optional dependencies installed only on linux x64 (glibc); anywhere else,
// or when they are missing, the tests fail saying so: a runtime is never skipped.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { Runtime } from './bundle.js'
import type { CheckInput, RuntimeReport } from './report.js'

/** Longest a runtime may take to start, or to run the checks once. */
export const CHILD_TIMEOUT_MS = 60_000

const require = createRequire(import.meta.url)

const PLATFORM_PACKAGES: Record<Runtime, { name: string; binary: string }> = {
  bun: { name: '@oven/bun-linux-x64', binary: 'bin/bun' },
  deno: { name: '@deno/linux-x64-glibc', binary: 'deno' },
  workerd: { name: '@cloudflare/workerd-linux-64', binary: 'bin/workerd' },
}

export interface Binary {
  path: string
  /** The platform package's version: the runtime's own for Bun and Deno, 1.YYYYMMDD.N for workerd. */
  version: string
}

export function locateBinary(runtime: Runtime): Binary {
  const { name, binary } = PLATFORM_PACKAGES[runtime]
  let manifest: string
  try {
    manifest = require.resolve(`${name}/package.json`)
  } catch {
    throw new Error(
      `${runtime}: ${name} is not installed. It is an optional dependency of @org/runtime-tests, ` +
        `installed by \`pnpm install\` on linux x64 (glibc) only; this test does not skip without it.`,
    )
  }
  const path = join(dirname(manifest), binary)
  if (!existsSync(path)) throw new Error(`${runtime}: ${name} is installed but has no ${binary}`)
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }
  return { path, version }
}

const children = new Set<ChildProcess>()

/** Kills whatever is still running (afterAll): a hung runtime must not outlive the test file. */
export function killChildren(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  children.clear()
}

function track<T extends ChildProcess>(child: T): T {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Runs a binary to completion and returns its stdout; rejects with its stderr on failure. */
export function runBinary(
  path: string,
  args: string[],
  options: { cwd: string; env: object },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      path,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, NO_COLOR: '1', ...options.env },
        timeout: CHILD_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout)
        else reject(new Error(`${path} failed (${error.message.split('\n')[0]}):\n${stdout}\n${stderr}`))
      },
    )
    track(child)
  })
}

/** Parses the one JSON line a runtime printed; a `{"error"}` answer becomes a thrown error. */
export function parseReport(runtime: string, output: string): RuntimeReport {
  let report: RuntimeReport & { error?: string; stack?: string }
  try {
    report = JSON.parse(output.trim())
  } catch {
    throw new Error(`${runtime} printed no JSON report:\n${output}`)
  }
  if (report.error !== undefined) throw new Error(`${runtime} failed: ${report.error}\n${report.stack}`)
  return report
}

/** Bun: `bun <bundle> <input>`, without auto-install (the bundle imports nothing). */
export async function runBun(bundle: string, input: CheckInput, cwd: string): Promise<RuntimeReport> {
  const bun = locateBinary('bun').path
  // No transpiler cache: Bun would keep one in the user's home for a bundle this large.
  const env = { BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0' }
  const output = await runBinary(bun, ['--no-install', bundle, JSON.stringify(input)], { cwd, env })
  return parseReport('bun', output)
}

/**
 * Deno with no permission but network access to the JWKS port: a fetch anywhere else, an
 * environment read or a file read would fail the run. No config or lock file is looked for.
 */
export async function runDeno(
  bundle: string,
  input: CheckInput,
  cwd: string,
  jwksPort: number,
): Promise<RuntimeReport> {
  const deno = locateBinary('deno').path
  const args = [
    'run',
    '--quiet',
    '--no-prompt',
    '--no-config',
    `--allow-net=127.0.0.1:${jwksPort}`,
    bundle,
    JSON.stringify(input),
  ]
  // Deno's cache goes to the test's temporary directory, not the user's home.
  const env = { DENO_DIR: join(cwd, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' }
  return parseReport('deno', await runBinary(deno, args, { cwd, env }))
}

/** The two Workers one workerd serves: the same bundle, with and without `nodejs_compat`. */
export type WorkerName = 'plain' | 'nodejs_compat'

export interface Workerd {
  ports: Record<WorkerName, number>
  stderr(): string
  stop(): void
}

/**
 * The compatibility date of both Workers. It must stay before 2026-08-04: from then on
 * `nodejs_compat` is on by default in workerd, and the "plain" Worker would lend `node:crypto` too.
 */
export const COMPATIBILITY_DATE = '2026-06-01'

function workerdConfig(bundleName: string): string {
  const worker = (flags: string) => `(
  modules = [ (name = "worker", esModule = embed "${bundleName}") ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  compatibilityFlags = [${flags}],
  globalOutbound = "loopback",
)`
  // The default outbound ("internet") allows public addresses only: the JWKS is on 127.0.0.1.
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "plain", worker = .plain),
    (name = "nodejs_compat", worker = .nodejsCompat),
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "plain", address = "127.0.0.1:0", http = (), service = "plain"),
    (name = "nodejs_compat", address = "127.0.0.1:0", http = (), service = "nodejs_compat"),
  ],
);
const plain :Workerd.Worker = ${worker('')};
const nodejsCompat :Workerd.Worker = ${worker('"nodejs_compat"')};
`
}

/**
 * Starts workerd on two free loopback ports and resolves once both listen: workerd reports each
 * port on the control descriptor (fd 3) as `{"event":"listen","socket":...,"port":...}`.
 */
export function startWorkerd(bundle: string): Promise<Workerd> {
  const workerd = locateBinary('workerd').path
  const dir = dirname(bundle)
  const config = join(dir, 'workerd.capnp')
  writeFileSync(config, workerdConfig(bundle.slice(dir.length + 1)))
  const child = track(
    spawn(workerd, ['serve', config, '--control-fd=3'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    }),
  )
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
  return new Promise((resolve, reject) => {
    const ports: Partial<Record<WorkerName, number>> = {}
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`workerd did not listen within ${CHILD_TIMEOUT_MS} ms:\n${stderr}`))
    }, CHILD_TIMEOUT_MS)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`workerd exited (${code ?? signal}) before listening:\n${stderr}`))
    })
    let pending = ''
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const message = JSON.parse(line) as { event?: string; socket?: WorkerName; port?: number }
        if (message.event === 'listen' && message.socket !== undefined) ports[message.socket] = message.port
      }
      if (ports.plain !== undefined && ports.nodejs_compat !== undefined) {
        clearTimeout(timer)
        resolve({ ports: ports as Record<WorkerName, number>, stderr: () => stderr, stop })
      }
    })
  })
}

/** POSTs the input to one of workerd's Workers and returns its report. */
export async function askWorker(port: number, input: CheckInput): Promise<RuntimeReport> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(CHILD_TIMEOUT_MS),
  })
  return parseReport('workerd', await response.text())
}
