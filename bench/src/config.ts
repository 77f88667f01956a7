/** What the runner, the child servers and the report share: servers, scenarios and knobs. */

export const AUDIENCE = 'https://api.bench.test'
/** The `sub` of every signed token; protected servers echo it back. */
export const SUBJECT = 'bench-user'
/** What bare servers answer instead (they ignore the token). */
export const ANONYMOUS = 'anonymous'

export type Framework = 'express' | 'hono'
export type ScenarioName = 'valid-rs256' | 'valid-es256' | 'invalid' | 'no-token'

export interface ServerSpec {
  name: string
  framework: Framework
  /** No auth at all (answers 200 `anonymous` to everything): the baseline, or a reference built like it. */
  bare: boolean
  /** Only these scenarios (a reference server that makes sense for one path). Default: by `bare`. */
  scenarios?: readonly ScenarioName[]
}

export const SERVERS: readonly ServerSpec[] = [
  { name: 'express-bare', framework: 'express', bare: true },
  { name: 'express-ours-cache', framework: 'express', bare: false },
  { name: 'express-ours-nocache', framework: 'express', bare: false },
  { name: 'express-jose', framework: 'express', bare: false },
  { name: 'express-oauth2-jwt-bearer', framework: 'express', bare: false },
  { name: 'express-passport-jwt', framework: 'express', bare: false },
  { name: 'hono-bare', framework: 'hono', bare: true },
  { name: 'hono-ours-cache', framework: 'hono', bare: false },
  { name: 'hono-ours-nocache', framework: 'hono', bare: false },
  { name: 'hono-jwk', framework: 'hono', bare: false },
  // References, not peers: the ceiling any middleware can reach on each framework.
  // One async no-op middleware before the handler (Hono runs a lone handler without compose).
  { name: 'hono-noop-middleware', framework: 'hono', bare: true },
  // The same on Express: one no-op middleware calling next() before the bare handler.
  { name: 'express-noop-middleware', framework: 'express', bare: true },
  // A middleware that passes a prebuilt error to next(err) and a one-line 401 error handler.
  { name: 'express-next-error', framework: 'express', bare: false, scenarios: ['no-token'] },
  // A lone handler answering our exact 401 bytes: what the refusal costs the server and the load generator.
  { name: 'hono-static-401', framework: 'hono', bare: false, scenarios: ['no-token'] },
  // DPoP (RFC 9449) servers, run by `pnpm bench:dpop` only (no scenario of this runner): a
  // DPoP-bound token with a fresh proof per request.
  { name: 'express-ours-dpop', framework: 'express', bare: false, scenarios: [] },
  { name: 'express-oauth2-jwt-bearer-dpop', framework: 'express', bare: false, scenarios: [] },
  { name: 'hono-ours-dpop', framework: 'hono', bare: false, scenarios: [] },
]

const PROTECTED_SCENARIOS: readonly ScenarioName[] = ['valid-rs256', 'valid-es256', 'invalid', 'no-token']
const BARE_SCENARIOS: readonly ScenarioName[] = ['valid-rs256', 'no-token']

export function scenariosFor(server: ServerSpec): readonly ScenarioName[] {
  return server.scenarios ?? (server.bare ? BARE_SCENARIOS : PROTECTED_SCENARIOS)
}

/** The framework's bare server: the baseline of every ratio. */
export function isBaseline(server: { name?: string; server?: string; framework: Framework }): boolean {
  return (server.name ?? server.server) === `${server.framework}-bare`
}

/** Bare servers answer 200 to everything; protected ones 200 to a valid token, else 401. */
export function expectedStatus(server: ServerSpec, scenario: ScenarioName): number {
  if (server.bare) return 200
  return scenario === 'valid-rs256' || scenario === 'valid-es256' ? 200 : 401
}

/** What a child server is told through its environment. */
export interface ServerConfig {
  name: string
  port: number
  issuer: string
  jwksUri: string
  audience: string
}

export const SERVER_ENV = {
  name: 'BENCH_SERVER',
  port: 'BENCH_PORT',
  issuer: 'BENCH_ISSUER',
  jwksUri: 'BENCH_JWKS_URI',
  audience: 'BENCH_AUDIENCE',
} as const

export function serverConfigToEnv(config: ServerConfig): Record<string, string> {
  return {
    [SERVER_ENV.name]: config.name,
    [SERVER_ENV.port]: String(config.port),
    [SERVER_ENV.issuer]: config.issuer,
    [SERVER_ENV.jwksUri]: config.jwksUri,
    [SERVER_ENV.audience]: config.audience,
  }
}

export function serverConfigFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const read = (key: string): string => {
    const value = env[key]
    if (value === undefined || value === '') throw new Error(`${key} is not set`)
    return value
  }
  return {
    name: read(SERVER_ENV.name),
    port: Number(read(SERVER_ENV.port)),
    issuer: read(SERVER_ENV.issuer),
    jwksUri: read(SERVER_ENV.jwksUri),
    audience: read(SERVER_ENV.audience),
  }
}

export interface BenchSettings {
  /** Measured seconds per run. */
  duration: number
  /** Unmeasured seconds before each run. */
  warmup: number
  connections: number
  pipelining: number
  only: Framework | undefined
  /** Exact server names to run (comma-separated `BENCH_SERVERS`), for a focused rerun. */
  servers: readonly string[] | undefined
  /** Exact scenario names to run (comma-separated `BENCH_SCENARIOS`), for a focused rerun. */
  scenarios: readonly string[] | undefined
  /** Times the whole sequence runs; the table shows each row's median round. */
  rounds: number
  /** Re-measurements of a run during which other processes used over 10% of a core. */
  retries: number
  /** Pin this process to CPU 0 and each server to CPU 1 (Linux, `taskset`). `BENCH_PIN=0` turns it off. */
  pin: boolean
  /** Write a V8 CPU profile per child server into this folder. */
  cpuProfDir: string | undefined
}

function positiveNumber(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${key} must be a non-negative number`)
  return value
}

function list(raw: string | undefined): string[] | undefined {
  return raw ? raw.split(',').map((item) => item.trim()) : undefined
}

export function readSettings(env: NodeJS.ProcessEnv): BenchSettings {
  const only = env['BENCH_ONLY']
  if (only !== undefined && only !== '' && only !== 'express' && only !== 'hono') {
    throw new Error('BENCH_ONLY must be "express" or "hono"')
  }
  return {
    duration: positiveNumber(env, 'BENCH_DURATION', 5),
    warmup: positiveNumber(env, 'BENCH_WARMUP', 1),
    connections: Math.max(1, Math.round(positiveNumber(env, 'BENCH_CONNECTIONS', 50))),
    pipelining: 1,
    only: only === 'express' || only === 'hono' ? only : undefined,
    servers: list(env['BENCH_SERVERS']),
    scenarios: list(env['BENCH_SCENARIOS']),
    rounds: Math.max(1, Math.round(positiveNumber(env, 'BENCH_ROUNDS', 1))),
    retries: Math.round(positiveNumber(env, 'BENCH_RETRIES', 2)),
    pin: env['BENCH_PIN'] !== '0',
    cpuProfDir: env['BENCH_CPU_PROF'] || undefined,
  }
}
