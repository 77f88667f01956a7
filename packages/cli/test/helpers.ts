/**
 * How the tests run the CLI: in-process through `run(argv, io)`, or as the real bin in a child
 * process (`node --import tsx src/bin.ts`, the source the package builds). Each backend gives a
 * test its own database: a PGlite data directory in a temporary directory, or a schema on the
 * server at DATABASE_URL (migrated, dropped after the file). Without DATABASE_URL the server
 * suites skip and say so.
 */
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll } from 'vitest'
import { run } from '../src/index.js'

export const DATABASE_URL = process.env.DATABASE_URL
export const skipServer = DATABASE_URL === undefined || DATABASE_URL === ''
if (skipServer) {
  console.log(
    'DATABASE_URL is not set: skipped the CLI tests against a PostgreSQL server (they ran on PGlite)',
  )
}

export const KEK = randomBytes(32).toString('base64url')
const packageDir = new URL('..', import.meta.url).pathname
const BIN = join(packageDir, 'src', 'bin.ts')

export interface Result {
  code: number
  stdout: string
  stderr: string
}

export type Env = Record<string, string | undefined>

/** Runs a command line in-process. */
export async function cli(argv: string[], env: Env, signal?: AbortSignal): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    env,
    ...(signal === undefined ? {} : { signal }),
  })
  return { code, stdout, stderr }
}

/** Runs a command line through the bin in a child process. */
export function bin(argv: string[], env: Env): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', BIN, ...argv],
      { cwd: packageDir, env: { ...process.env, ...env } as NodeJS.ProcessEnv },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** Starts the bin and resolves once `line` appears on its stdout. */
export function spawnBin(argv: string[], env: Env, line: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...argv], {
    cwd: packageDir,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
  })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text
  })
  const exited = new Promise<Result>((resolve) =>
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  )
  const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text
      const match = stdout.match(line)
      if (match !== null) resolve(match)
    })
    void exited.then((result) => reject(new Error(`exited with ${result.code}: ${result.stderr}`)))
  })
  return { child, ready, exited }
}

/** A TCP port free a moment ago, for an issuer URL that names the port the server will take. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Where a test's data lives: the environment and the options that select it. */
export interface Target {
  env: Env
  args: string[]
}

export interface Backend {
  name: string
  /** A new, empty database for one test (PGlite: a fresh directory; server: a migrated schema). */
  fresh(): Promise<Target>
}

/** PGlite in temporary directories, removed after the file. */
export function pgliteBackend(): Backend {
  const root = mkdtempSync(join(tmpdir(), 'org-auth-cli-'))
  let count = 0
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  return {
    name: 'PGlite',
    fresh: async () => ({
      env: { DATABASE_URL: '', ORG_AUTH_KEK: KEK },
      args: ['--data-dir', join(root, `db${++count}`, 'pgdata')],
    }),
  }
}

/** Schemas on the server at DATABASE_URL, migrated by the CLI and dropped after the file. */
export function serverBackend(): Backend {
  const prefix = `org_auth_cli_${randomBytes(4).toString('hex')}`
  const schemas: string[] = []
  afterAll(async () => {
    if (schemas.length === 0) return
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool.end()
  })
  return {
    name: 'PostgreSQL (DATABASE_URL)',
    fresh: async () => {
      const schema = `${prefix}_${schemas.length + 1}`
      schemas.push(schema)
      const target = { env: { DATABASE_URL, ORG_AUTH_KEK: KEK }, args: ['--schema', schema] }
      const migrated = await cli(['migrate', ...target.args], target.env)
      if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`)
      return target
    },
  }
}

/** The backends of this run: PGlite always, the server when DATABASE_URL is set. */
export function backends(): Backend[] {
  return skipServer ? [pgliteBackend()] : [pgliteBackend(), serverBackend()]
}

/** The parsed JSON document a `--json` command printed. */
export function json<T = Record<string, unknown>>(result: Result): T {
  return JSON.parse(result.stdout) as T
}
