/** The session bench's comparisons (targets and context) and its tables. */
import type { LoadStats } from '../load.js'
import { pad } from '../report.js'
import type { SessionServer } from './types.js'

export interface Measured extends LoadStats {
  serverCpuMicros: number | undefined
  otherCpu: number | undefined
  steal: number | undefined
}

export interface Comparison {
  subject: string
  baseline: string
  /** A goal from the issue; none for a comparison given for context. */
  factor: number | undefined
}

/** The issue's goals: cookie mode ≥ 0.85 of bare Express; our Redis store at least as fast as express-session + connect-redis. */
export const SESSION_TARGETS: readonly Comparison[] = [
  { subject: 'express-ours-cookie', baseline: 'express-bare', factor: 0.85 },
  { subject: 'express-ours-redis', baseline: 'express-session-redis', factor: 1 },
]

/**
 * The targets, then every other session server over its framework's bare one, and our cookie
 * mode over iron-session; only those whose two servers run. `BENCH_COMPARISONS=targets` keeps the
 * targets; a list `subject/baseline,…` picks comparisons by name (any two servers).
 */
export function comparisonsFor(servers: readonly SessionServer[], wanted: string | undefined): Comparison[] {
  const names = new Set(servers.map((s) => s.name))
  if (wanted !== undefined && wanted !== '' && wanted !== 'targets') {
    return wanted.split(',').map((item) => {
      const [subject = '', baseline = ''] = item.trim().split('/')
      if (!names.has(subject) || !names.has(baseline))
        throw new Error(`BENCH_COMPARISONS: unknown server in "${item}"`)
      return {
        subject,
        baseline,
        factor: SESSION_TARGETS.find((t) => t.subject === subject && t.baseline === baseline)?.factor,
      }
    })
  }
  const all: Comparison[] = [...SESSION_TARGETS]
  if (wanted !== 'targets') {
    for (const s of servers) {
      if (s.role !== 'bare') all.push({ subject: s.name, baseline: `${s.framework}-bare`, factor: undefined })
    }
    all.push({ subject: 'express-ours-cookie', baseline: 'express-iron-session', factor: undefined })
  }
  const seen = new Set<string>()
  return all.filter((c) => {
    const key = `${c.subject}/${c.baseline}`
    if (seen.has(key) || !names.has(c.subject) || !names.has(c.baseline)) return false
    seen.add(key)
    return true
  })
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export interface PairSummary {
  ratio: number
  low: number
  high: number
  cpuRatio: number | undefined
  subjectRequestsPerSecond: number
  baselineRequestsPerSecond: number
  subjectCpuMicros: number | undefined
  baselineCpuMicros: number | undefined
  maxOtherCpu: number
  unexpected: number
}

export function summarizePairs(pairs: readonly { subject: Measured; baseline: Measured }[]): PairSummary {
  const ratios = pairs.map((p) => p.subject.requestsPerSecond / p.baseline.requestsPerSecond)
  const cpuRatios = pairs.flatMap((p) =>
    p.subject.serverCpuMicros && p.baseline.serverCpuMicros
      ? [p.baseline.serverCpuMicros / p.subject.serverCpuMicros]
      : [],
  )
  const cpu = (side: 'subject' | 'baseline') => {
    const values = pairs.flatMap((p) =>
      p[side].serverCpuMicros === undefined ? [] : [p[side].serverCpuMicros as number],
    )
    return values.length > 0 ? median(values) : undefined
  }
  const sorted = [...ratios].sort((a, b) => a - b)
  return {
    ratio: median(ratios),
    low: sorted[Math.floor(sorted.length / 4)] as number,
    high: sorted[Math.ceil((sorted.length * 3) / 4) - 1] as number,
    cpuRatio: cpuRatios.length > 0 ? median(cpuRatios) : undefined,
    subjectRequestsPerSecond: median(pairs.map((p) => p.subject.requestsPerSecond)),
    baselineRequestsPerSecond: median(pairs.map((p) => p.baseline.requestsPerSecond)),
    subjectCpuMicros: cpu('subject'),
    baselineCpuMicros: cpu('baseline'),
    maxOtherCpu: Math.max(0, ...pairs.flatMap((p) => [p.subject.otherCpu ?? 0, p.baseline.otherCpu ?? 0])),
    unexpected: pairs.reduce((sum, p) => sum + p.subject.unexpected + p.baseline.unexpected, 0),
  }
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined ? '?' : value.toFixed(digits)

export function formatPairs(results: readonly (Comparison & PairSummary)[]): string {
  return results
    .map((r) => {
      const status =
        r.factor === undefined ? 'INFO' : r.ratio >= r.factor && r.unexpected === 0 ? 'PASS' : 'FAIL'
      return (
        `${status.padEnd(4)}  ${r.subject} ÷ ${r.baseline}: ${r.ratio.toFixed(3)} (middle half ${r.low.toFixed(3)}–${r.high.toFixed(3)}; ` +
        `by server CPU ${fixed(r.cpuRatio, 3)}; ${Math.round(r.subjectRequestsPerSecond)} vs ${Math.round(r.baselineRequestsPerSecond)} req/s; ` +
        `${fixed(r.subjectCpuMicros, 1)} vs ${fixed(r.baselineCpuMicros, 1)} server µs/req; other CPU ≤ ${r.maxOtherCpu.toFixed(0)}%)` +
        (r.factor === undefined ? '' : `, target ≥ ${r.factor.toFixed(2)}`) +
        (r.unexpected > 0 ? `; ${r.unexpected} unexpected responses` : '')
      )
    })
    .join('\n')
}

/** A Markdown table of the runs (each row's median round), with each server over its framework's bare one. */
export function formatRuns(
  runs: readonly (Measured & { server: string; framework: string; round: number })[],
): string {
  const byServer = new Map<string, (typeof runs)[number][]>()
  for (const run of runs) byServer.set(run.server, [...(byServer.get(run.server) ?? []), run])
  const rows = [...byServer.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
    return sorted[Math.floor((sorted.length - 1) / 2)] as (typeof runs)[number]
  })
  const bare = (framework: string) => rows.find((row) => row.server === `${framework}-bare`)
  const header = [
    'server',
    'req/s',
    'p99 ms',
    'server µs/req',
    'errors',
    'other CPU',
    '÷ bare',
    '÷ bare by CPU',
  ]
  const right = [false, true, true, true, true, true, true, true]
  const cells = rows.map((row) => {
    const base = bare(row.framework)
    return [
      row.server,
      Math.round(row.requestsPerSecond).toLocaleString('en-US'),
      String(row.latencyP99Ms),
      fixed(row.serverCpuMicros, 1),
      String(row.unexpected),
      `${fixed(row.otherCpu, 0)}%`,
      base === undefined || base === row ? '' : (row.requestsPerSecond / base.requestsPerSecond).toFixed(2),
      base?.serverCpuMicros === undefined || row.serverCpuMicros === undefined || base === row
        ? ''
        : (base.serverCpuMicros / row.serverCpuMicros).toFixed(2),
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)))
  const line = (c: string[]) => pad(c, widths, right)
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
  return [line(header), rule, ...cells.map(line)].join('\n')
}
