/**
 * `pnpm bench:session` (each server in turn, a table) and `pnpm bench:session:paired` (the key
 * comparisons as interleaved pairs): a session-protected `GET /protected` per request, with a
 * valid session cookie prepared before the load. See the README's "Sessions" section.
 */
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { createClient } from 'redis'
import { CORES, pinToCpu, type RunningServer, startServer } from '../child.js'
import { AUDIENCE, readSettings } from '../config.js'
import { cpuMicrosPerRequest, otherCpuPercent, processTicks, sampleCpu, stealPercent } from '../cpu.js'
import { fire, summarize } from '../load.js'
import { writeJson } from '../report.js'
import { loadServers } from './registry.js'
import {
  type Comparison,
  comparisonsFor,
  formatPairs,
  formatRuns,
  type Measured,
  type PairSummary,
  summarizePairs,
} from './report.js'
import { SESSION_ENV } from './server.js'
import { BenchAbort, peerSession, SessionCookie } from './sessions.js'
import { PROTECTED_PATH, type SessionServer } from './types.js'

const ENTRY = fileURLToPath(new URL('./server.ts', import.meta.url))
const env = process.env
const paired = process.argv.includes('--paired')
const settings = readSettings(env)
const PAIRS = Math.max(2, Number(env['BENCH_PAIRS'] ?? 8))
const SLICE_SECONDS = Math.max(1, Number(env['BENCH_SLICE'] ?? 2))
const REDIS_URL = env['REDIS_URL'] || 'redis://127.0.0.1:6379'
const RESULTS = fileURLToPath(
  new URL(`../../results/session${paired ? '-paired' : ''}.json`, import.meta.url),
)
const log = (line: string) => process.stderr.write(`${line}\n`)

async function redisReachable(): Promise<boolean> {
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return true
  } catch {
    return false
  } finally {
    if (client.isOpen) client.destroy()
  }
}

/** Servers to run: BENCH_ONLY / BENCH_SERVERS, and only those whose services answer (`needs`, `unavailable`). */
async function selectServers(): Promise<SessionServer[]> {
  const all = (await loadServers()).filter(
    (s) =>
      (settings.only === undefined || s.framework === settings.only) &&
      (settings.servers === undefined || settings.servers.includes(s.name)),
  )
  const available = new Map<string, boolean>()
  if (all.some((s) => s.needs.includes('redis'))) available.set('redis', await redisReachable())
  const kept: SessionServer[] = []
  for (const s of all) {
    const missing = s.needs.filter((need) => available.get(need) !== true)
    const reason =
      missing.length > 0 ? `${missing.join(', ')} not available (${REDIS_URL})` : await s.unavailable?.(env)
    if (reason === undefined) kept.push(s)
    else log(`  - ${s.name} left out: ${reason}`)
  }
  return kept
}

interface Running {
  spec: SessionServer
  server: RunningServer
  session: SessionCookie
}

async function start(spec: SessionServer, context: Context): Promise<Running> {
  const server = await startServer(
    {
      name: spec.name,
      issuer: context.idp?.issuer ?? 'http://127.0.0.1:1',
      jwksUri: 'unused',
      audience: AUDIENCE,
    },
    {
      entry: ENTRY,
      cpu: context.pinned ? 1 : undefined,
      cpuProfDir: settings.cpuProfDir,
      env: {
        [SESSION_ENV.secret]: context.secret,
        [SESSION_ENV.redisUrl]: REDIS_URL,
        [SESSION_ENV.redisPrefix]: context.prefix,
        [SESSION_ENV.runId]: context.runId,
      },
    },
  )
  const running = { spec, server, session: new SessionCookie(spec, server.url, context.idp, context.peer) }
  try {
    await running.session.check()
  } catch (error) {
    await server.stop()
    throw error
  }
  return running
}

/** One load run of `seconds` on a running server, with its CPU and the machine's disturbance. */
async function measure({ server, session }: Running, seconds: number): Promise<Measured> {
  const headers = await session.headers()
  const load = {
    url: `${server.url}${PROTECTED_PATH}`,
    token: undefined,
    headers,
    connections: settings.connections,
    pipelining: 1,
  }
  const cpuBefore = sampleCpu([process.pid, server.pid])
  const ticks = processTicks(server.pid)
  const stats = summarize(await fire({ ...load, duration: seconds }), 200)
  const serverTicks = processTicks(server.pid) - ticks
  const cpuAfter = sampleCpu([process.pid, server.pid])
  return {
    ...stats,
    serverCpuMicros: cpuMicrosPerRequest(serverTicks, stats.totalRequests),
    otherCpu: otherCpuPercent(cpuBefore, cpuAfter, CORES),
    steal: stealPercent(cpuBefore, cpuAfter, CORES),
  }
}

interface Context {
  idp: DevIdp | undefined
  peer: Awaited<ReturnType<typeof peerSession>> | undefined
  secret: string
  prefix: string
  runId: string
  pinned: boolean
}

async function table(servers: readonly SessionServer[], context: Context) {
  const runs: (Measured & { server: string; framework: string; round: number })[] = []
  for (let round = 1; round <= settings.rounds; round++) {
    for (const spec of servers) {
      const running = await start(spec, context)
      try {
        if (settings.warmup > 0) await measure(running, settings.warmup)
        let measured = await measure(running, settings.duration)
        for (let retry = 0; retry < settings.retries && (measured.otherCpu ?? 0) > 10; retry++) {
          log(`  ~ ${spec.name}: other processes used ${measured.otherCpu?.toFixed(0)}% of a core, retry`)
          const again = await measure(running, settings.duration)
          if ((again.otherCpu ?? 0) < (measured.otherCpu ?? 0)) measured = again
        }
        await running.session.check()
        runs.push({ server: spec.name, framework: spec.framework, round, ...measured })
        log(
          `  ${spec.name.padEnd(24)} ${measured.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${measured.latencyP99Ms} ms` +
            `  server ${measured.serverCpuMicros?.toFixed(1) ?? '?'} µs/req  other CPU ${measured.otherCpu?.toFixed(0) ?? '?'}%` +
            `  statuses ${JSON.stringify(measured.statusCounts)}`,
        )
      } finally {
        await running.server.stop()
      }
    }
  }
  console.log(formatRuns(runs))
  return runs
}

async function comparePair(comparison: Comparison, byName: Map<string, SessionServer>, context: Context) {
  const sides = [comparison.subject, comparison.baseline].map((name) => byName.get(name) as SessionServer)
  const running = await Promise.all(sides.map((spec) => start(spec, context)))
  try {
    for (const side of running) await measure(side, 1) // warm-up, unmeasured
    const pairs: { subject: Measured; baseline: Measured }[] = []
    for (let pair = 0; pair < PAIRS; pair++) {
      // A B, then B A: a steady drift in machine speed cancels out over two pairs.
      const order = pair % 2 === 0 ? [0, 1] : [1, 0]
      const measured: Measured[] = []
      for (const index of order) measured[index] = await measure(running[index] as Running, SLICE_SECONDS)
      pairs.push({ subject: measured[0] as Measured, baseline: measured[1] as Measured })
    }
    for (const side of running) await side.session.check()
    return pairs
  } finally {
    await Promise.all(running.map((side) => side.server.stop()))
  }
}

async function cleanRedis(prefix: string): Promise<void> {
  if (!(await redisReachable())) return
  const client = await createClient({ url: REDIS_URL }).connect()
  try {
    const keys: string[] = []
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch)
    if (keys.length > 0) await client.del(keys)
  } finally {
    client.destroy()
  }
}

const servers = await selectServers()
const pinned = settings.pin && pinToCpu(process.pid, 0)
log(
  `bench:session${paired ? ':paired' : ''}: ${servers.length} servers, ${settings.connections} connections; ` +
    (paired
      ? `${PAIRS} pairs of ${SLICE_SECONDS}s slices`
      : `${settings.rounds} × ${settings.duration}s (+${settings.warmup}s warm-up)`) +
    `; node ${process.version}, ${CORES} cores, load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; ` +
    (pinned ? 'load generator + IdP on CPU 0, servers on CPU 1' : 'no pinning'),
)
const runId = randomBytes(8).toString('hex')
const needsIdp = servers.some((s) => s.login !== 'none')
// Access tokens outlive the run: no refresh (an IdP round trip) happens during the load.
const idp = needsIdp ? await startDevIdp({ accessTokenTtl: 3600 }) : undefined
const context: Context = {
  idp,
  peer: idp !== undefined && servers.some((s) => s.login === 'peer') ? await peerSession(idp) : undefined,
  secret: randomBytes(32).toString('base64url'),
  prefix: `org-auth-bench:${runId}:`,
  runId,
  pinned,
}
let failed = false
try {
  if (!paired) {
    const runs = await table(servers, context)
    failed = runs.some((run) => run.unexpected > 0)
    await writeJson(RESULTS, { date: new Date().toISOString(), node: process.version, settings, runs })
  } else {
    const byName = new Map(servers.map((s) => [s.name, s]))
    const results: (Comparison & PairSummary & { pairs: unknown })[] = []
    for (const comparison of comparisonsFor(servers, env['BENCH_COMPARISONS'])) {
      const pairs = await comparePair(comparison, byName, context)
      const summary = summarizePairs(pairs)
      results.push({ ...comparison, ...summary, pairs })
      console.log(formatPairs([{ ...comparison, ...summary }]))
      if (summary.unexpected > 0) failed = true
    }
    await writeJson(RESULTS, {
      date: new Date().toISOString(),
      node: process.version,
      pairs: PAIRS,
      sliceSeconds: SLICE_SECONDS,
      results,
    })
  }
  console.log(`\nRaw results: ${RESULTS}`)
} catch (error) {
  if (!(error instanceof BenchAbort)) throw error
  log(`\nbench:session aborted: ${error.message}`)
  failed = true
} finally {
  await idp?.close()
  await cleanRedis(context.prefix)
  // Once per hook: the Express and Hono servers of one store share theirs.
  for (const cleanup of new Set(servers.flatMap((s) => (s.cleanup ? [s.cleanup] : [])))) {
    await cleanup(env, runId).catch((error: unknown) => log(`  ! cleanup failed: ${String(error)}`))
  }
}
process.exitCode = failed ? 1 : 0
