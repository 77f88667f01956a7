/** `pnpm bench:soak`: the knobs (environment variables), the demos and the traffic classes. */

export const DEMO_NAMES = ['express', 'hono', 'nest', 'next'] as const
export type DemoName = (typeof DEMO_NAMES)[number]

/**
 * Traffic classes, each reported on its own row. `login` is one whole browser-less login (about
 * ten HTTP requests, six of them at the IdP); `session` a signed-in page view; `refresh` a page
 * view that had to refresh the session's access token first.
 */
export const CLASSES = [
  'valid',
  'tampered',
  'expired',
  'wrong-audience',
  'garbage',
  'missing',
  'login',
  'session',
  'refresh',
] as const
export type TrafficClass = (typeof CLASSES)[number]

/**
 * The demos' `refreshBefore`: the core's default, which no demo overrides. A session's access
 * token is due for a refresh `ttl - REFRESH_BEFORE` seconds after it was issued.
 */
export const REFRESH_BEFORE = 60
/** The core verifier's default `leeway`: a token is refused once `exp <= now - LEEWAY`. */
export const LEEWAY = 5

export interface SoakConfig {
  /** Seconds of load per demo. */
  seconds: number
  demos: DemoName[]
  /** Workers per traffic class (each a closed loop: one request in flight at a time). */
  concurrency: number
  /** Access-token lifetime at the soak's dev IdP, in seconds (client credentials and logins alike). */
  tokenTtl: number
  /** Signed-in browsers kept; a new login replaces the oldest once that one has lived `tokenTtl` (else it is dropped). */
  sessions: number
  /** Distinct valid tokens in rotation: more than the verifier's 1000-entry cache, so it stays full and churns. */
  tokenPool: number
  /** Client-credentials tokens minted per second while the soak runs. */
  mintRate: number
  /** Seconds between memory samples. */
  sampleSeconds: number
  /** Allowed growth of the last third over the middle third, as a fraction (0.1 = 10 %). */
  tolerance: number
  /** Build the Next demo first (`next build`, Turbopack); `false` reuses apps/next-demo/.next. */
  nextBuild: boolean
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${name} must be a number ≥ ${min}, got "${raw}"`)
  return value
}

export function soakConfig(env: NodeJS.ProcessEnv = process.env): SoakConfig {
  const demos = (env['SOAK_DEMOS'] ?? DEMO_NAMES.join(','))
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  for (const name of demos) {
    if (!(DEMO_NAMES as readonly string[]).includes(name))
      throw new Error(`SOAK_DEMOS: unknown demo "${name}" (known: ${DEMO_NAMES.join(', ')})`)
  }
  const tokenTtl = number(env, 'SOAK_TOKEN_TTL', 70, 1)
  if (tokenTtl <= REFRESH_BEFORE) {
    // Every page view would refresh: the refresh row would hide the session row.
    throw new Error(`SOAK_TOKEN_TTL must exceed the demos' refreshBefore (${REFRESH_BEFORE} s)`)
  }
  return {
    seconds: number(env, 'SOAK_SECONDS', 60, 6),
    demos: demos as DemoName[],
    concurrency: Math.floor(number(env, 'SOAK_CONCURRENCY', 1, 1)),
    tokenTtl,
    sessions: Math.floor(number(env, 'SOAK_SESSIONS', 16, 1)),
    tokenPool: Math.floor(number(env, 'SOAK_TOKEN_POOL', 1500, 1)),
    mintRate: number(env, 'SOAK_MINT_RATE', 40, 1),
    sampleSeconds: number(env, 'SOAK_SAMPLE_SECONDS', 2, 0.5),
    tolerance: number(env, 'SOAK_MEMORY_TOLERANCE', 10, 0) / 100,
    nextBuild: env['SOAK_NEXT_BUILD'] !== '0',
  }
}
