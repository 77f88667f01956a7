/**
 * `pnpm bench`: starts a local issuer, then each server under test as a child process, one at a
 * time, and measures it with autocannon from this process (`BENCH_ROUNDS` times, interleaved).
 * Prints one table and the targets, and writes the raw results to `results/latest.json`.
 */
import { spawnSync } from 'node:child_process'
import { cpus, loadavg, platform, release } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CORES, pinToCpu } from './child.js'
import { AUDIENCE, readSettings, SERVERS, type ServerSpec, scenariosFor } from './config.js'
import { OTHER_CPU_WARNING } from './cpu.js'
import { startIssuer } from './issuer.js'
import { type BenchContext, benchServer } from './measure.js'
import {
  evaluateTargets,
  formatReferences,
  formatServers,
  formatTable,
  formatTargets,
  type RunRecord,
  type ServerRecord,
  writeJson,
} from './report.js'

const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url))

const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}
const formatLoad = (load: number[]): string => load.map((value) => value.toFixed(2)).join(' ')

/** The commit measured, and whether the packages differ from it. */
function gitState(): { commit: string; packagesDirty: boolean } | undefined {
  const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' })
  const head = git('rev-parse', '--short', 'HEAD')
  if (head.status !== 0) return undefined
  const status = git('status', '--porcelain', '--', '../packages')
  return { commit: head.stdout.trim(), packagesDirty: status.stdout.trim() !== '' }
}

/** Per server and scenario, the round with the median req/s (the lower middle for an even count). */
function medianRuns(all: readonly RunRecord[]): RunRecord[] {
  const groups = new Map<string, RunRecord[]>()
  for (const run of all) {
    const key = `${run.server}\u0000${run.scenario}`
    groups.set(key, [...(groups.get(key) ?? []), run])
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as RunRecord
    return { ...median, roundsRequestsPerSecond: group.map((run) => run.requestsPerSecond) }
  })
}

const settings = readSettings(process.env)
const servers = SERVERS.filter(
  (s) =>
    (settings.only === undefined || s.framework === settings.only) &&
    (settings.servers === undefined || settings.servers.includes(s.name)),
)
const scenarios = (spec: ServerSpec) =>
  scenariosFor(spec).filter((name) => settings.scenarios === undefined || settings.scenarios.includes(name))
const runCount = servers.reduce((n, s) => n + scenarios(s).length, 0)
const git = gitState()
const loadAtStart = loadavg()

log(
  `bench: ${servers.length} servers, ${settings.rounds} × ${runCount} runs of ${settings.duration}s ` +
    `(+${settings.warmup}s warm-up), ${settings.connections} connections, pipelining ${settings.pipelining}; ` +
    `node ${process.version}, ${CORES} cores; load average ${formatLoad(loadAtStart)}`,
)
if ((loadAtStart[0] ?? 0) > 1)
  log('  ! the machine is busy before the benchmark starts: results will be noisy')
const pinned = settings.pin && pinToCpu(process.pid, 0)
log(pinned ? '  load generator and issuer pinned to CPU 0, servers to CPU 1' : '  no CPU pinning')
const issuer = await startIssuer(AUDIENCE)
const ctx: BenchContext = { issuer, settings, serverCpu: pinned ? 1 : undefined, scenarios, log }
const allRuns: RunRecord[] = []
const serverRecords = new Map<string, ServerRecord>()

try {
  for (let round = 1; round <= settings.rounds; round++) {
    if (settings.rounds > 1) log(`round ${round} of ${settings.rounds}`)
    for (const spec of servers) {
      const { runs, record } = await benchServer(ctx, spec, round)
      allRuns.push(...runs)
      const seen = serverRecords.get(spec.name)
      serverRecords.set(
        spec.name,
        seen === undefined
          ? record
          : {
              ...seen,
              jwksFetches: seen.jwksFetches + record.jwksFetches,
              discoveryFetches: seen.discoveryFetches + record.discoveryFetches,
              stderr: seen.stderr + record.stderr,
            },
      )
    }
  }
} finally {
  await issuer.close()
}

const runs = medianRuns(allRuns)
const loadAtEnd = loadavg()
const targets = evaluateTargets(runs)
const cpu = cpus()[0]?.model ?? 'unknown CPU'
const measured =
  git === undefined ? '' : `; commit ${git.commit}${git.packagesDirty ? ' + uncommitted packages/' : ''}`
console.log(
  `\nResults: ${settings.duration}s per run after ${settings.warmup}s warm-up, ${settings.connections} connections, ` +
    `pipelining ${settings.pipelining}${settings.rounds > 1 ? `, median of ${settings.rounds} rounds` : ''}; ` +
    `node ${process.version}, ${CORES} cores (${cpu}); ` +
    `${pinned ? 'autocannon + issuer on CPU 0, server on CPU 1' : 'no CPU pinning'}; ` +
    `load average ${formatLoad(loadAtStart)} before, ${formatLoad(loadAtEnd)} after${measured}\n`,
)
console.log(formatTable(runs))
console.log(
  '\n÷ bare: req/s over the same framework’s bare server (same scenario; its valid-rs256 run where it has none).' +
    '\n÷ express-jose: req/s over express-jose in the same scenario. errors: responses with another status' +
    ' than expected (200 valid, 401 invalid/no-token; 200 always for bare) plus socket errors/timeouts.' +
    '\nserver µs/req: the server process’s CPU (all threads) per answered request during the run.' +
    '\nother CPU: CPU used by other processes during the measured run, in % of one core' +
    ` (above ${OTHER_CPU_WARNING}%, the run was disturbed). steal: CPU the hypervisor took from this VM, same unit.\n`,
)
console.log(formatServers([...serverRecords.values()]))
console.log(`\nTargets:\n${formatTargets(targets)}`)
const references = formatReferences(runs)
if (references) console.log(`\nFramework ceilings (for context, not targets):\n${references}`)

await writeJson(RESULTS_FILE, {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${release()}`,
    cores: CORES,
    cpu,
    git,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    pinned,
    settings,
  },
  issuer: { url: issuer.url, jwksUri: issuer.jwksUri, counts: issuer.counts },
  servers: [...serverRecords.values()],
  runs,
  allRuns,
  targets,
})
console.log(`\nRaw results: ${RESULTS_FILE}`)
if (allRuns.some((run) => run.unexpected > 0 || run.preflight.problem !== undefined)) process.exitCode = 1
