/**
 * Measures one server under test: starts it as a child process, runs its scenarios (preflight,
 * warm-up, measured run, re-measured while other processes disturb it) and stops it.
 */
import { CORES, startServer } from './child.js'
import {
  ANONYMOUS,
  AUDIENCE,
  type BenchSettings,
  expectedStatus,
  type ScenarioName,
  type ServerSpec,
  SUBJECT,
} from './config.js'
import {
  cpuMicrosPerRequest,
  OTHER_CPU_WARNING,
  otherCpuPercent,
  processTicks,
  sampleCpu,
  stealPercent,
} from './cpu.js'
import type { BenchTokens, Issuer } from './issuer.js'
import { fire, type LoadOptions, type LoadStats, preflight, summarize } from './load.js'
import type { RunRecord, ServerRecord } from './report.js'

export interface BenchContext {
  issuer: Issuer
  settings: BenchSettings
  /** CPU to pin servers to, if pinning is on. */
  serverCpu: number | undefined
  scenarios: (spec: ServerSpec) => readonly ScenarioName[]
  log: (line: string) => void
}

interface Measured {
  stats: LoadStats
  otherCpu: number | undefined
  steal: number | undefined
  serverCpuMicros: number | undefined
  jwksFetches: number
}

export function disturbed(otherCpu: number | undefined): otherCpu is number {
  return otherCpu !== undefined && otherCpu > OTHER_CPU_WARNING
}

export function tokenFor(tokens: BenchTokens, scenario: ScenarioName): string | undefined {
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

/** One measured run, with the JWKS fetches and the CPU other processes used meanwhile. */
async function measure(
  ctx: BenchContext,
  load: Omit<LoadOptions, 'duration'>,
  expected: number,
  serverPid: number,
): Promise<Measured> {
  const jwksBefore = ctx.issuer.counts.jwks
  const cpuBefore = sampleCpu([process.pid, serverPid])
  const serverBefore = processTicks(serverPid)
  const result = await fire({ ...load, duration: ctx.settings.duration })
  const serverTicks = processTicks(serverPid) - serverBefore
  const cpuAfter = sampleCpu([process.pid, serverPid])
  const stats = summarize(result, expected)
  return {
    stats,
    otherCpu: otherCpuPercent(cpuBefore, cpuAfter, CORES),
    steal: stealPercent(cpuBefore, cpuAfter, CORES),
    serverCpuMicros: cpuMicrosPerRequest(serverTicks, stats.totalRequests),
    jwksFetches: ctx.issuer.counts.jwks - jwksBefore,
  }
}

export async function benchServer(
  ctx: BenchContext,
  spec: ServerSpec,
  round: number,
): Promise<{ runs: RunRecord[]; record: ServerRecord }> {
  const { issuer, settings, log } = ctx
  const jwksAtStart = issuer.counts.jwks
  const discoveryAtStart = issuer.counts.discovery
  const runs: RunRecord[] = []
  const server = await startServer(
    { name: spec.name, issuer: issuer.url, jwksUri: issuer.jwksUri, audience: AUDIENCE },
    { cpuProfDir: settings.cpuProfDir, cpu: ctx.serverCpu },
  )
  try {
    for (const scenario of ctx.scenarios(spec)) {
      const url = `${server.url}/protected`
      const token = tokenFor(issuer.tokens, scenario)
      const expected = expectedStatus(spec, scenario)
      const check = await preflight(url, token, expected, spec.bare ? ANONYMOUS : SUBJECT)
      if (check.problem !== undefined) log(`  ! ${spec.name} ${scenario} preflight: ${check.problem}`)
      const load = { url, token, connections: settings.connections, pipelining: settings.pipelining }
      if (settings.warmup > 0) await fire({ ...load, duration: settings.warmup })
      let measured = await measure(ctx, load, expected, server.pid)
      let attempts = 1
      for (let retry = 1; retry <= settings.retries && disturbed(measured.otherCpu); retry++) {
        attempts++
        log(
          `  ~ ${spec.name} ${scenario}: other processes used ${measured.otherCpu.toFixed(0)}% of a core, retry`,
        )
        const again = await measure(ctx, load, expected, server.pid)
        if ((again.otherCpu ?? 0) < measured.otherCpu) measured = again
      }
      const { stats, otherCpu, steal, serverCpuMicros, jwksFetches } = measured
      runs.push({
        server: spec.name,
        framework: spec.framework,
        bare: spec.bare,
        scenario,
        round,
        expectedStatus: expected,
        jwksFetches,
        otherCpuPercent: otherCpu,
        stealPercent: steal,
        serverCpuMicrosPerRequest: serverCpuMicros,
        attempts,
        roundsRequestsPerSecond: [stats.requestsPerSecond],
        preflight: check,
        ...stats,
      })
      let flag = stats.unexpected > 0 ? `  ! ${stats.unexpected} unexpected` : ''
      if (disturbed(otherCpu)) flag += `  ! other processes used ${otherCpu.toFixed(0)}% of a core`
      log(
        `  ${spec.name.padEnd(26)} ${scenario.padEnd(12)} ${stats.requestsPerSecond.toFixed(0).padStart(7)} req/s` +
          `  p99 ${stats.latencyP99Ms} ms  server ${serverCpuMicros?.toFixed(1) ?? '?'} µs/req` +
          `  other CPU ${otherCpu?.toFixed(0) ?? '?'}%  steal ${steal?.toFixed(0) ?? '?'}%` +
          `  statuses ${JSON.stringify(stats.statusCounts)}${flag}`,
      )
    }
  } finally {
    await server.stop()
  }
  const record: ServerRecord = {
    server: spec.name,
    jwksFetches: issuer.counts.jwks - jwksAtStart,
    discoveryFetches: issuer.counts.discovery - discoveryAtStart,
    stderr: server.stderr(),
  }
  return { runs, record }
}
