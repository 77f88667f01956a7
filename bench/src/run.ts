/**
 * `pnpm bench`: starts a local issuer, then each server under test as a child process, one at a
 * time, and measures it with autocannon from this process. Prints one table and the targets,
 * and writes the raw results to `results/latest.json`.
 */
import { cpus, loadavg, platform, release } from 'node:os'
import { fileURLToPath } from 'node:url'
import { CORES, pinToCpu, startServer } from './child.js'
import {
  ANONYMOUS,
  AUDIENCE,
  expectedStatus,
  readSettings,
  type ScenarioName,
  SERVERS,
  type ServerSpec,
  SUBJECT,
  scenariosFor,
} from './config.js'
import { OTHER_CPU_WARNING, otherCpuPercent, sampleCpu } from './cpu.js'
import { type BenchTokens, startIssuer } from './issuer.js'
import { fire, type LoadOptions, type LoadStats, preflight, summarize } from './load.js'
import {
  evaluateTargets,
  formatServers,
  formatTable,
  formatTargets,
  type RunRecord,
  type ServerRecord,
  writeJson,
} from './report.js'

const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url))

function tokenFor(tokens: BenchTokens, scenario: ScenarioName): string | undefined {
  switch (scenario) {
    case 'valid-rs256':
      return tokens.rs256
    case 'valid-es256':
      return tokens.es256
    case 'invalid':
      return tokens.invalid
    case 'no-token':
      return undefined
  }
}

interface Measured {
  stats: LoadStats
  otherCpu: number | undefined
  jwksFetches: number
}

/** One measured run, with the JWKS fetches and the CPU other processes used meanwhile. */
async function measure(
  load: Omit<LoadOptions, 'duration'>,
  expected: number,
  serverPid: number,
): Promise<Measured> {
  const jwksBefore = issuer.counts.jwks
  const cpuBefore = sampleCpu([process.pid, serverPid])
  const result = await fire({ ...load, duration: settings.duration })
  const otherCpu = otherCpuPercent(cpuBefore, sampleCpu([process.pid, serverPid]), CORES)
  return {
    stats: summarize(result, expected),
    otherCpu,
    jwksFetches: issuer.counts.jwks - jwksBefore,
  }
}

function disturbed(otherCpu: number | undefined): otherCpu is number {
  return otherCpu !== undefined && otherCpu > OTHER_CPU_WARNING
}

const settings = readSettings(process.env)
const servers = SERVERS.filter(
  (s) =>
    (settings.only === undefined || s.framework === settings.only) &&
    (settings.servers === undefined || settings.servers.includes(s.name)),
)
const scenariosToRun = (spec: ServerSpec): ScenarioName[] =>
  scenariosFor(spec).filter((name) => settings.scenarios === undefined || settings.scenarios.includes(name))
const runCount = servers.reduce((n, s) => n + scenariosToRun(s).length, 0)
const loadAtStart = loadavg()
const formatLoad = (load: number[]): string => load.map((value) => value.toFixed(2)).join(' ')
const log = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

log(
  `bench: ${servers.length} servers, ${runCount} runs of ${settings.duration}s (+${settings.warmup}s warm-up), ` +
    `${settings.connections} connections, pipelining ${settings.pipelining}; ` +
    `node ${process.version}, ${CORES} cores; load average ${formatLoad(loadAtStart)}`,
)
if ((loadAtStart[0] ?? 0) > 1)
  log('  ! the machine is busy before the benchmark starts: results will be noisy')
const pinned = settings.pin && pinToCpu(process.pid, 0)
log(pinned ? '  load generator and issuer pinned to CPU 0, servers to CPU 1' : '  no CPU pinning')
const issuer = await startIssuer(AUDIENCE)
const runs: RunRecord[] = []
const serverRecords: ServerRecord[] = []

try {
  for (const spec of servers) {
    const jwksAtStart = issuer.counts.jwks
    const discoveryAtStart = issuer.counts.discovery
    const server = await startServer(
      { name: spec.name, issuer: issuer.url, jwksUri: issuer.jwksUri, audience: AUDIENCE },
      { cpuProfDir: settings.cpuProfDir, cpu: pinned ? 1 : undefined },
    )
    try {
      for (const scenario of scenariosToRun(spec)) {
        const url = `${server.url}/protected`
        const token = tokenFor(issuer.tokens, scenario)
        const expected = expectedStatus(spec, scenario)
        const check = await preflight(url, token, expected, spec.bare ? ANONYMOUS : SUBJECT)
        if (check.problem !== undefined) log(`  ! ${spec.name} ${scenario} preflight: ${check.problem}`)
        const load = { url, token, connections: settings.connections, pipelining: settings.pipelining }
        if (settings.warmup > 0) await fire({ ...load, duration: settings.warmup })
        let measured = await measure(load, expected, server.pid)
        let attempts = 1
        for (let retry = 1; retry <= settings.retries && disturbed(measured.otherCpu); retry++) {
          attempts++
          log(
            `  ~ ${spec.name} ${scenario}: other processes used ${measured.otherCpu?.toFixed(0)}% of a core, retry ${retry}`,
          )
          const again = await measure(load, expected, server.pid)
          if ((again.otherCpu ?? 0) < (measured.otherCpu ?? 0)) measured = again
        }
        const { stats, otherCpu, jwksFetches } = measured
        runs.push({
          server: spec.name,
          framework: spec.framework,
          bare: spec.bare,
          scenario,
          expectedStatus: expected,
          jwksFetches,
          otherCpuPercent: otherCpu,
          attempts,
          preflight: check,
          ...stats,
        })
        let flag = stats.unexpected > 0 ? `  ! ${stats.unexpected} unexpected` : ''
        if (disturbed(otherCpu)) {
          flag += `  ! other processes used ${otherCpu.toFixed(0)}% of a core`
        }
        log(
          `  ${spec.name.padEnd(26)} ${scenario.padEnd(12)} ${stats.requestsPerSecond.toFixed(0).padStart(7)} req/s` +
            `  p99 ${stats.latencyP99Ms} ms  other CPU ${otherCpu?.toFixed(0) ?? '?'}%  statuses ${JSON.stringify(stats.statusCounts)}${flag}`,
        )
      }
    } finally {
      await server.stop()
    }
    serverRecords.push({
      server: spec.name,
      jwksFetches: issuer.counts.jwks - jwksAtStart,
      discoveryFetches: issuer.counts.discovery - discoveryAtStart,
      stderr: server.stderr(),
    })
  }
} finally {
  await issuer.close()
}

const loadAtEnd = loadavg()
const targets = evaluateTargets(runs)
const cpu = cpus()[0]?.model ?? 'unknown CPU'
console.log(
  `\nResults: ${settings.duration}s per run after ${settings.warmup}s warm-up, ${settings.connections} connections, ` +
    `pipelining ${settings.pipelining}; node ${process.version}, ${CORES} cores (${cpu}); ` +
    `${pinned ? 'autocannon + issuer on CPU 0, server on CPU 1' : 'no CPU pinning'}; ` +
    `load average ${formatLoad(loadAtStart)} before, ${formatLoad(loadAtEnd)} after\n`,
)
console.log(formatTable(runs))
console.log(
  '\n÷ bare: req/s over the same framework’s bare server (same scenario; its valid-rs256 run where it has none).' +
    '\n÷ express-jose: req/s over express-jose in the same scenario. errors: responses with another status' +
    ' than expected (200 valid, 401 invalid/no-token; 200 always for bare) plus socket errors/timeouts.' +
    '\nother CPU: CPU used by other processes during the measured run, in % of one core' +
    ` (above ${OTHER_CPU_WARNING}%, the run was disturbed).\n`,
)
console.log(formatServers(serverRecords))
console.log(`\nTargets:\n${formatTargets(targets)}`)

await writeJson(RESULTS_FILE, {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${release()}`,
    cores: CORES,
    cpu,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    pinned,
    settings,
  },
  issuer: { url: issuer.url, jwksUri: issuer.jwksUri, counts: issuer.counts },
  servers: serverRecords,
  runs,
  targets,
})
console.log(`\nRaw results: ${RESULTS_FILE}`)
if (runs.some((run) => run.unexpected > 0 || run.preflight.problem !== undefined)) process.exitCode = 1
