/** The results table, the issue's targets (PASS/FAIL) and the raw JSON. */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Framework, isBaseline, type ScenarioName } from './config.js'
import type { LoadStats, Preflight } from './load.js'

export interface RunRecord extends LoadStats {
  server: string
  framework: Framework
  bare: boolean
  scenario: ScenarioName
  /** 1-based round (`BENCH_ROUNDS`). */
  round: number
  expectedStatus: number
  /** JWKS requests the issuer served during the measured run. */
  jwksFetches: number
  /** CPU other processes used during the measured run, in % of one core (Linux only). */
  otherCpuPercent: number | undefined
  /** CPU the hypervisor took from this VM during the run, in % of one core (Linux only). */
  stealPercent: number | undefined
  /** Server process CPU (all threads) per request during the run, in µs (Linux only). */
  serverCpuMicrosPerRequest: number | undefined
  /** Measured runs made; above 1, the least disturbed one is kept. */
  attempts: number
  /** req/s of this server and scenario in every round; the record itself is the median round. */
  roundsRequestsPerSecond: number[]
  preflight: Preflight
}

export interface ServerRecord {
  server: string
  /** JWKS and discovery requests while this server ran (preflights, warm-ups and runs). */
  jwksFetches: number
  discoveryFetches: number
  /** Anything the server wrote to stderr (first 64 KiB). */
  stderr: string
}

export interface TargetResult {
  target: string
  status: 'PASS' | 'FAIL' | 'SKIP'
  ratio: number | undefined
  factor: number
  detail: string
}

export interface Target {
  subject: [string, ScenarioName]
  baseline: [string, ScenarioName]
  factor: number
}

export const TARGETS: readonly Target[] = [
  { subject: ['express-ours-cache', 'valid-rs256'], baseline: ['express-bare', 'valid-rs256'], factor: 0.9 },
  { subject: ['hono-ours-cache', 'valid-rs256'], baseline: ['hono-bare', 'valid-rs256'], factor: 0.9 },
  {
    subject: ['express-ours-nocache', 'valid-rs256'],
    baseline: ['express-jose', 'valid-rs256'],
    factor: 0.95,
  },
  { subject: ['express-ours-cache', 'no-token'], baseline: ['express-bare', 'no-token'], factor: 0.9 },
  { subject: ['express-ours-nocache', 'no-token'], baseline: ['express-bare', 'no-token'], factor: 0.9 },
  { subject: ['hono-ours-cache', 'no-token'], baseline: ['hono-bare', 'no-token'], factor: 0.9 },
  { subject: ['hono-ours-nocache', 'no-token'], baseline: ['hono-bare', 'no-token'], factor: 0.9 },
]

function find(runs: readonly RunRecord[], server: string, scenario: ScenarioName): RunRecord | undefined {
  return runs.find((run) => run.server === server && run.scenario === scenario)
}

/** The bare server's run for the same scenario, else its `valid-rs256` run (it ignores tokens). */
function bareBaseline(runs: readonly RunRecord[], run: RunRecord): RunRecord | undefined {
  const bare = `${run.framework}-bare`
  return find(runs, bare, run.scenario) ?? find(runs, bare, 'valid-rs256')
}

function ratio(run: RunRecord, baseline: RunRecord | undefined): string {
  if (baseline === undefined || baseline.requestsPerSecond === 0) return ''
  return (run.requestsPerSecond / baseline.requestsPerSecond).toFixed(2)
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** One Markdown table row, each cell padded to its column (right-aligned where `right`). */
export function pad(cells: readonly string[], widths: readonly number[], right: readonly boolean[]): string {
  const padded = cells.map((cell, i) =>
    right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
  )
  return `| ${padded.join(' | ')} |`
}

/** A Markdown table, so the printed output can be pasted into the README as is. */
export function formatTable(runs: readonly RunRecord[]): string {
  const header = [
    'server',
    'scenario',
    'req/s',
    'p99 ms',
    'non-2xx',
    'errors',
    'JWKS GETs',
    'server µs/req',
    'other CPU',
    'steal',
    '÷ bare',
    '÷ express-jose',
  ]
  const right = [false, false, true, true, true, true, true, true, true, true, true, true]
  const rows = runs.map((run) => [
    run.server,
    run.scenario,
    integer.format(run.requestsPerSecond),
    run.latencyP99Ms.toFixed(0),
    integer.format(run.non2xx),
    integer.format(run.unexpected),
    integer.format(run.jwksFetches),
    run.serverCpuMicrosPerRequest === undefined ? '' : run.serverCpuMicrosPerRequest.toFixed(1),
    run.otherCpuPercent === undefined ? '' : `${run.otherCpuPercent.toFixed(0)}%`,
    run.stealPercent === undefined ? '' : `${run.stealPercent.toFixed(0)}%`,
    isBaseline(run) ? '' : ratio(run, bareBaseline(runs, run)),
    run.framework === 'express' && run.server !== 'express-jose' && !run.bare
      ? ratio(run, find(runs, 'express-jose', run.scenario))
      : '',
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  return [pad(header, widths, right), rule, ...rows.map((row) => pad(row, widths, right))].join('\n')
}

interface Compared {
  mine: RunRecord
  theirs: RunRecord
  value: number
  /** "0.912 (1,234 vs 1,353 req/s)" */
  summary: string
}

/** One run's req/s over another's, or `undefined` when either was not run. */
function compare(
  runs: readonly RunRecord[],
  subject: [string, ScenarioName],
  baseline: [string, ScenarioName],
): Compared | undefined {
  const mine = find(runs, ...subject)
  const theirs = find(runs, ...baseline)
  if (mine === undefined || theirs === undefined || theirs.requestsPerSecond === 0) return undefined
  const value = mine.requestsPerSecond / theirs.requestsPerSecond
  let summary = `${value.toFixed(3)} (${integer.format(mine.requestsPerSecond)} vs ${integer.format(theirs.requestsPerSecond)} req/s)`
  const [mineCpu, theirsCpu] = [mine.serverCpuMicrosPerRequest, theirs.serverCpuMicrosPerRequest]
  if (mineCpu !== undefined && theirsCpu !== undefined && mineCpu > 0) {
    // The same ratio from server CPU per request: what the server costs, whatever the machine did.
    summary += `; by server CPU ${(theirsCpu / mineCpu).toFixed(3)} (${mineCpu.toFixed(1)} vs ${theirsCpu.toFixed(1)} µs/req)`
  }
  return { mine, theirs, value, summary }
}

export function evaluateTargets(runs: readonly RunRecord[]): TargetResult[] {
  return TARGETS.map(({ subject, baseline, factor }) => {
    const target = `${subject[0]} ${subject[1]} ≥ ${factor.toFixed(2)} × ${baseline[0]} ${baseline[1]}`
    const compared = compare(runs, subject, baseline)
    if (compared === undefined) return { target, status: 'SKIP', ratio: undefined, factor, detail: 'not run' }
    const { mine, theirs, value } = compared
    const required = factor * theirs.requestsPerSecond
    let detail = compared.summary
    let status: TargetResult['status'] = value >= factor ? 'PASS' : 'FAIL'
    if (status === 'FAIL') {
      const short = required - mine.requestsPerSecond
      detail += `: short by ${(factor - value).toFixed(3)} of the ratio, ${integer.format(short)} req/s (${((short / required) * 100).toFixed(1)}% below the target)`
    }
    if (mine.unexpected > 0 || theirs.unexpected > 0) {
      status = 'FAIL'
      detail += '; unexpected responses in a compared run'
    }
    return { target, status, ratio: value, factor, detail }
  })
}

/** What the framework itself costs a middleware: ours against the reference ceilings, for context. */
export const REFERENCES: readonly (readonly [[string, ScenarioName], [string, ScenarioName]])[] = [
  [
    ['hono-noop-middleware', 'no-token'],
    ['hono-bare', 'no-token'],
  ],
  [
    ['hono-ours-cache', 'no-token'],
    ['hono-noop-middleware', 'no-token'],
  ],
  [
    ['hono-static-401', 'no-token'],
    ['hono-bare', 'no-token'],
  ],
  [
    ['hono-ours-cache', 'no-token'],
    ['hono-static-401', 'no-token'],
  ],
  [
    ['hono-ours-cache', 'valid-rs256'],
    ['hono-noop-middleware', 'valid-rs256'],
  ],
  [
    ['express-noop-middleware', 'valid-rs256'],
    ['express-bare', 'valid-rs256'],
  ],
  [
    ['express-ours-cache', 'valid-rs256'],
    ['express-noop-middleware', 'valid-rs256'],
  ],
  [
    ['express-next-error', 'no-token'],
    ['express-bare', 'no-token'],
  ],
  [
    ['express-ours-cache', 'no-token'],
    ['express-next-error', 'no-token'],
  ],
]

export function formatReferences(runs: readonly RunRecord[]): string {
  const lines: string[] = []
  for (const [subject, baseline] of REFERENCES) {
    const compared = compare(runs, subject, baseline)
    if (compared !== undefined) {
      lines.push(`INFO  ${subject[0]} ${subject[1]} ÷ ${baseline[0]} ${baseline[1]}: ${compared.summary}`)
    }
  }
  return lines.join('\n')
}

export function formatTargets(results: readonly TargetResult[]): string {
  return results.map((result) => `${result.status}  ${result.target}: ${result.detail}`).join('\n')
}

export function formatServers(servers: readonly ServerRecord[]): string {
  const lines = servers.map((s) => {
    const note = s.stderr.trim() === '' ? '' : `; stderr: ${s.stderr.trim().split('\n')[0]?.slice(0, 160)}`
    return `  ${s.server.padEnd(26)} JWKS ${String(s.jwksFetches).padStart(7)}   discovery ${s.discoveryFetches}${note}`
  })
  return ['Issuer requests per server (whole lifetime: preflights, warm-ups and runs):', ...lines].join('\n')
}

export async function writeJson(file: string, data: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`)
}
