/**
 * The soak's mixed traffic against one demo: closed-loop workers per traffic class (one request
 * in flight each), until a deadline. Every answer is checked: its status against what the class
 * must get, and for refusals the `WWW-Authenticate` challenge; anything else is an error.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import {
  type Browser,
  type DemoSite,
  logIn,
  type Page,
  refreshExpected,
  SoakError,
  viewPage,
} from './soak-browser.js'
import { CLASSES, type SoakConfig, type TrafficClass } from './soak-config.js'
import { type HttpResponse, send } from './soak-http.js'
import { garbageCases, type TokenSupply } from './soak-tokens.js'

const MAX_ERROR_KINDS = 8
const IDLE_MS = 50

export class ClassStats {
  count = 0
  errors = 0
  /** Latency in µs. */
  readonly latency: RecordableHistogram = createHistogram()
  /** Error messages (at most a few kinds), with how often each occurred. */
  readonly errorKinds = new Map<string, number>()

  record(startedAt: bigint, error: string | undefined): void {
    this.count += 1
    this.latency.record(Math.max(1, Number((process.hrtime.bigint() - startedAt) / 1000n)))
    if (error === undefined) return
    this.errors += 1
    if (this.errorKinds.has(error) || this.errorKinds.size < MAX_ERROR_KINDS)
      this.errorKinds.set(error, (this.errorKinds.get(error) ?? 0) + 1)
  }
}

export type TrafficStats = Record<TrafficClass, ClassStats>

export function newTrafficStats(): TrafficStats {
  return Object.fromEntries(CLASSES.map((name) => [name, new ClassStats()])) as TrafficStats
}

/** Operations completed so far, all classes. */
export function totalOps(stats: TrafficStats): number {
  return CLASSES.reduce((sum, name) => sum + stats[name].count, 0)
}

interface BearerCall {
  method: 'GET' | 'POST'
  path: string
  /** The whole Authorization header; none for `missing`. */
  authorization?: string
  expect: number
}

/** What a refusal must carry: RFC 6750's challenge, with `error="invalid_token"` for a bad token. */
function checkBearer(call: BearerCall, response: HttpResponse): string | undefined {
  if (response.status !== call.expect) {
    if (response.status === 0) return `${call.path}: no answer (${response.failure})`
    return `${call.method} ${call.path}: HTTP ${response.status} (expected ${call.expect})`
  }
  const challenge = String(response.headers['www-authenticate'] ?? '')
  if (call.expect === 401 && !/^Bearer\b/i.test(challenge)) return '401 without a Bearer challenge'
  if (call.expect === 401 && call.authorization !== undefined && !challenge.includes('error="invalid_token"'))
    return `401 challenge without error="invalid_token": ${challenge.slice(0, 80)}`
  if (call.expect === 401 && call.authorization === undefined && challenge.includes('error='))
    return 'a request without credentials got an error code (RFC 6750 §3.1)'
  return undefined
}

const VALID_CALLS = [
  { method: 'GET', path: '/api/profile', expect: 200 },
  { method: 'POST', path: '/api/notes', expect: 201 }, // scope write
  { method: 'GET', path: '/api/admin', expect: 403 }, // scope admin: not granted
] as const

function bearerCalls(
  supply: TokenSupply,
  issuer: string,
): Partial<Record<TrafficClass, () => BearerCall | undefined>> {
  let nextValid = 0
  const garbage = garbageCases(issuer)
  const refused = (token: string | undefined): BearerCall | undefined =>
    token === undefined
      ? undefined
      : { method: 'GET', path: '/api/profile', authorization: `Bearer ${token}`, expect: 401 }
  return {
    valid: () => {
      const token = supply.valid()
      if (token === undefined) return undefined
      const call = VALID_CALLS[nextValid++ % VALID_CALLS.length] as (typeof VALID_CALLS)[number]
      return { ...call, authorization: `Bearer ${token}` }
    },
    tampered: () => refused(supply.tampered()),
    expired: () => refused(supply.expired()),
    'wrong-audience': () => refused(supply.wrongAudience()),
    garbage: () => {
      const { header, expect } = garbage()
      return { method: 'GET', path: '/api/profile', authorization: header, expect }
    },
    missing: () => ({ method: 'GET', path: '/api/profile', expect: 401 }),
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const message = (error: unknown) =>
  error instanceof SoakError
    ? error.message
    : `unexpected: ${error instanceof Error ? error.message : String(error)}`

export async function runTraffic(
  site: DemoSite,
  supply: TokenSupply,
  issuer: string,
  config: SoakConfig,
  stats: TrafficStats,
): Promise<TrafficStats> {
  const deadline = Date.now() + config.seconds * 1000
  const running = () => Date.now() < deadline
  const browsers: Browser[] = []

  const bearerWorker = async (name: TrafficClass, next: () => BearerCall | undefined) => {
    while (running()) {
      const call = next()
      if (call === undefined) {
        await sleep(IDLE_MS) // no such token yet
        continue
      }
      const startedAt = process.hrtime.bigint()
      const headers: Record<string, string> =
        call.authorization === undefined ? {} : { authorization: call.authorization }
      const response = await send(new URL(call.path, site.origin), { method: call.method, headers })
      stats[name].record(startedAt, checkBearer(call, response))
    }
  }

  /**
   * Keeps a new browser while there is room, or in place of the oldest idle one once that one has
   * lived a whole token lifetime (so every session goes through several refreshes); otherwise the
   * user just closes the new tab.
   */
  const keep = (browser: Browser) => {
    if (browsers.length < config.sessions) {
      browsers.push(browser)
      return
    }
    const retireBefore = Date.now() - config.tokenTtl * 1000
    let oldest = -1
    browsers.forEach((candidate, index) => {
      const older = oldest < 0 || candidate.createdAt < (browsers[oldest] as Browser).createdAt
      if (!candidate.busy && candidate.createdAt < retireBefore && older) oldest = index
    })
    if (oldest >= 0) browsers.splice(oldest, 1, browser)
  }

  const loginWorker = async () => {
    while (running()) {
      const startedAt = process.hrtime.bigint()
      try {
        const browser = await logIn(site)
        stats.login.record(startedAt, undefined)
        keep(browser)
      } catch (error) {
        stats.login.record(startedAt, message(error))
      }
    }
  }

  const sessionWorker = async () => {
    while (running()) {
      // The least recently used idle browser: every session gets read, and so refreshed, in turn.
      let browser: Browser | undefined
      for (const candidate of browsers)
        if (!candidate.busy && (browser === undefined || candidate.lastUsed < browser.lastUsed))
          browser = candidate
      if (browser === undefined) {
        await sleep(IDLE_MS)
        continue
      }
      browser.busy = true
      const startedAt = process.hrtime.bigint()
      // Per browser (not per worker): with an even pool, a worker's parity would pin each browser to one page.
      const page: Page = browser.views++ % 2 === 0 ? 'profile' : 'home'
      const due = refreshExpected(site, browser, page, config.tokenTtl)
      try {
        const kind = await viewPage(site, browser, page, config.tokenTtl)
        stats[kind].record(startedAt, undefined)
      } catch (error) {
        stats[due ? 'refresh' : 'session'].record(startedAt, message(error))
        // A session that failed is gone for this browser: drop it rather than fail every view after.
        browsers.splice(browsers.indexOf(browser), 1)
      } finally {
        browser.busy = false
        browser.lastUsed = Date.now()
      }
    }
  }

  const workers: Promise<void>[] = []
  const calls = bearerCalls(supply, issuer)
  for (let worker = 0; worker < config.concurrency; worker += 1) {
    for (const [name, next] of Object.entries(calls)) workers.push(bearerWorker(name as TrafficClass, next))
    workers.push(loginWorker(), sessionWorker())
  }
  await Promise.all(workers)
  return stats
}
