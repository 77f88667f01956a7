/**
 * `pnpm bench:paired`: each target (and, with `BENCH_REFERENCES=1`, each reference ratio) measured
 * as interleaved pairs. Both servers run side by side (idle while the other is loaded); short
 * slices of load alternate between them in an A B B A pattern, so a machine whose speed drifts
 * from one minute to the next (host contention) weighs on both sides of every pair alike. The
 * ratio is the median over pairs, by req/s and by server CPU per request.
 */
import { CORES, pinToCpu, type RunningServer, startServer } from './child.js'
import { ANONYMOUS, AUDIENCE, expectedStatus, type ScenarioName, SERVERS, SUBJECT } from './config.js'
import { cpuMicrosPerRequest, processTicks } from './cpu.js'
import { type Issuer, startIssuer } from './issuer.js'
import { fire, preflight, summarize } from './load.js'
import { tokenFor } from './measure.js'
import { REFERENCES, TARGETS, writeJson } from './report.js'

const env = process.env
const PAIRS = Math.max(2, Number(env['BENCH_PAIRS'] ?? 8))
const SLICE_SECONDS = Math.max(1, Number(env['BENCH_SLICE'] ?? 2))
const CONNECTIONS = Math.max(1, Number(env['BENCH_CONNECTIONS'] ?? 50))
const RESULTS_FILE = new URL('../results/paired.json', import.meta.url)

type Side = [string, ScenarioName]
interface Comparison {
  subject: Side
  baseline: Side
  factor: number | undefined
}
interface Slice {
  requestsPerSecond: number
  cpuMicros: number | undefined
  unexpected: number
}

const log = (line: string) => process.stderr.write(`${line}\n`)

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

async function start(issuer: Issuer, name: string, cpu: number | undefined): Promise<RunningServer> {
  return startServer({ name, issuer: issuer.url, jwksUri: issuer.jwksUri, audience: AUDIENCE }, { cpu })
}

async function slice(issuer: Issuer, server: RunningServer, [name, scenario]: Side, seconds: number) {
  const spec = SERVERS.find((candidate) => candidate.name === name)
  if (spec === undefined) throw new Error(`Unknown server "${name}"`)
  const load = {
    url: `${server.url}/protected`,
    token: tokenFor(issuer.tokens, scenario),
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
  }
  const before = processTicks(server.pid)
  const stats = summarize(await fire(load), expectedStatus(spec, scenario))
  return {
    requestsPerSecond: stats.requestsPerSecond,
    cpuMicros: cpuMicrosPerRequest(processTicks(server.pid) - before, stats.totalRequests),
    unexpected: stats.unexpected,
  }
}

async function compare(issuer: Issuer, { subject, baseline }: Comparison, cpu: number | undefined) {
  const sides = [subject, baseline] as const
  const servers = await Promise.all(sides.map(([name]) => start(issuer, name, cpu)))
  try {
    for (const [i, side] of sides.entries()) {
      const spec = SERVERS.find((candidate) => candidate.name === side[0])
      const server = servers[i] as RunningServer
      const expected = spec === undefined ? 200 : expectedStatus(spec, side[1])
      const check = await preflight(
        `${server.url}/protected`,
        tokenFor(issuer.tokens, side[1]),
        expected,
        spec?.bare ? ANONYMOUS : SUBJECT,
      )
      if (check.problem !== undefined) throw new Error(`${side.join(' ')} preflight: ${check.problem}`)
      await slice(issuer, server, side, 1) // warm-up, unmeasured
    }
    const pairs: { subject: Slice; baseline: Slice }[] = []
    for (let pair = 0; pair < PAIRS; pair++) {
      // A B, then B A: a steady drift in machine speed cancels out over two pairs.
      const order = pair % 2 === 0 ? [0, 1] : [1, 0]
      const measured: Slice[] = []
      for (const index of order) {
        measured[index] = await slice(
          issuer,
          servers[index] as RunningServer,
          sides[index] as Side,
          SLICE_SECONDS,
        )
      }
      pairs.push({ subject: measured[0] as Slice, baseline: measured[1] as Slice })
    }
    return pairs
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
  }
}

function summarizePairs(pairs: { subject: Slice; baseline: Slice }[]) {
  const ratios = pairs.map((p) => p.subject.requestsPerSecond / p.baseline.requestsPerSecond)
  const cpuRatios = pairs.flatMap((p) =>
    p.subject.cpuMicros && p.baseline.cpuMicros ? [p.baseline.cpuMicros / p.subject.cpuMicros] : [],
  )
  const sorted = [...ratios].sort((a, b) => a - b)
  return {
    ratio: median(ratios),
    low: sorted[Math.floor(sorted.length / 4)] as number,
    high: sorted[Math.ceil((sorted.length * 3) / 4) - 1] as number,
    cpuRatio: cpuRatios.length > 0 ? median(cpuRatios) : undefined,
    subjectRequestsPerSecond: median(pairs.map((p) => p.subject.requestsPerSecond)),
    baselineRequestsPerSecond: median(pairs.map((p) => p.baseline.requestsPerSecond)),
    unexpected: pairs.reduce((sum, p) => sum + p.subject.unexpected + p.baseline.unexpected, 0),
  }
}

const wanted = env['BENCH_SERVERS']?.split(',').map((name) => name.trim())
const comparisons: Comparison[] = [
  ...TARGETS.map(({ subject, baseline, factor }) => ({ subject, baseline, factor })),
  ...(env['BENCH_REFERENCES'] === '1'
    ? REFERENCES.map(([subject, baseline]) => ({ subject, baseline, factor: undefined }))
    : []),
].filter((c) => wanted === undefined || (wanted.includes(c.subject[0]) && wanted.includes(c.baseline[0])))

const pinned = CORES >= 2 && env['BENCH_PIN'] !== '0' && pinToCpu(process.pid, 0)
log(
  `bench:paired: ${comparisons.length} comparisons, ${PAIRS} pairs of ${SLICE_SECONDS}s slices each, ` +
    `${CONNECTIONS} connections; ${pinned ? 'load generator on CPU 0, servers on CPU 1' : 'no pinning'}`,
)
const issuer = await startIssuer(AUDIENCE)
const results = []
// As `pnpm bench`: the exit code reports broken runs (unexpected statuses), not missed targets.
let broken = false
try {
  for (const comparison of comparisons) {
    const pairs = await compare(issuer, comparison, pinned ? 1 : undefined)
    const summary = summarizePairs(pairs)
    const label = `${comparison.subject.join(' ')} ÷ ${comparison.baseline.join(' ')}`
    const status =
      comparison.factor === undefined
        ? 'INFO'
        : summary.ratio >= comparison.factor && summary.unexpected === 0
          ? 'PASS'
          : 'FAIL'
    if (summary.unexpected > 0) broken = true
    const line =
      `${status.padEnd(4)}  ${label}: ${summary.ratio.toFixed(3)} (middle half ${summary.low.toFixed(3)}–${summary.high.toFixed(3)}; ` +
      `by server CPU ${summary.cpuRatio?.toFixed(3) ?? '?'}; ${Math.round(summary.subjectRequestsPerSecond)} vs ` +
      `${Math.round(summary.baselineRequestsPerSecond)} req/s)` +
      (comparison.factor === undefined ? '' : `, target ≥ ${comparison.factor.toFixed(2)}`) +
      (summary.unexpected > 0 ? `; ${summary.unexpected} unexpected responses` : '')
    console.log(line)
    results.push({ ...comparison, status, ...summary, pairs })
  }
} finally {
  await issuer.close()
}
await writeJson(RESULTS_FILE.pathname, { pairs: PAIRS, sliceSeconds: SLICE_SECONDS, results })
process.exitCode = broken ? 1 : 0
