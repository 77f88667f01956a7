/** The soak's tables (Markdown, to paste into the README as printed) and its verdict lines. */
import { pad } from './report.js'
import { CLASSES, type DemoName } from './soak-config.js'
import type { MemorySample, MemoryVerdict } from './soak-memory.js'
import type { TrafficStats } from './soak-traffic.js'

export interface DemoResult {
  demo: DemoName
  seconds: number
  traffic: TrafficStats
  /** 5xx answers the demo gave (to any request of the soak, logins included). */
  serverErrors: number
  samples: MemorySample[]
  memory: MemoryVerdict
  /** CPU during the load, in % of one core: the demo (its process tree), the dev IdP, the soak itself, all other processes. */
  cpu: { demo: number; idp: number; soak: number; other: number | undefined }
  /** Set when the demo's process ended during the soak. */
  crashed?: string
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ms = (micros: number) => (micros / 1000).toFixed(micros < 10_000 ? 1 : 0)
const mb = (bytes: number | undefined) => (bytes === undefined ? '' : (bytes / 2 ** 20).toFixed(1))

function markdown(header: string[], right: boolean[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)))
  const rule = widths.map((width, i) => (right[i] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)))
  return [
    pad(header, widths, right),
    `| ${rule.join(' | ')} |`,
    ...rows.map((row) => pad(row, widths, right)),
  ].join('\n')
}

/** Per demo and traffic class: operations, throughput, latency, errors. */
export function trafficTable(results: readonly DemoResult[]): string {
  const rows: string[][] = []
  for (const result of results) {
    for (const name of CLASSES) {
      const stats = result.traffic[name]
      const hasLatency = stats.count > 0
      rows.push([
        result.demo,
        name,
        integer.format(stats.count),
        (stats.count / result.seconds).toFixed(1),
        hasLatency ? ms(stats.latency.percentile(50)) : '',
        hasLatency ? ms(stats.latency.percentile(99)) : '',
        integer.format(stats.errors),
        stats.count === 0 ? '' : `${((stats.errors / stats.count) * 100).toFixed(2)}%`,
      ])
    }
  }
  const header = ['demo', 'class', 'ops', 'ops/s', 'p50 ms', 'p99 ms', 'errors', 'error rate']
  return markdown(header, [false, false, true, true, true, true, true, true], rows)
}

/** Per demo: 5xx, CPU, RSS and live heap, the memory verdict. */
export function summaryTable(results: readonly DemoResult[]): string {
  const header = [
    'demo',
    '5xx',
    'CPU % demo / IdP / soak / other',
    'RSS start MB',
    'RSS peak MB',
    'RSS end MB',
    'live heap end MB',
    'major GCs',
    'memory',
  ]
  const rows = results.map((result) => {
    const rss = result.samples.map((s) => s.rss).filter((v): v is number => v !== undefined)
    const end = result.samples.at(-1)
    return [
      result.demo,
      String(result.serverErrors),
      [result.cpu.demo, result.cpu.idp, result.cpu.soak, result.cpu.other]
        .map((v) => v?.toFixed(0) ?? '?')
        .join(' / '),
      mb(rss[0]),
      mb(rss.length === 0 ? undefined : Math.max(...rss)),
      mb(rss.at(-1)),
      mb(end?.heapAfterGc),
      String(end?.majorGcs ?? ''),
      result.crashed === undefined ? (result.memory.ok ? 'levels off' : 'KEEPS GROWING') : 'CRASHED',
    ]
  })
  return markdown(header, [false, true, true, true, true, true, true, true, false], rows)
}

/**
 * The time series of every demo, side by side, one row per sample: throughput since the previous
 * sample, RSS of the process tree, V8 heap used (a sawtooth), live heap (heap used after the
 * latest mark-compact).
 */
export function memorySeries(results: readonly DemoResult[]): string {
  const header = [
    't s',
    ...results.flatMap((r) => [`${r.demo} ops/s`, `${r.demo} RSS`, `${r.demo} heap`, `${r.demo} live`]),
  ]
  const length = Math.max(0, ...results.map((r) => r.samples.length))
  const rows: string[][] = []
  for (let index = 0; index < length; index += 1) {
    const t = results.map((r) => r.samples[index]?.t).find((value) => value !== undefined) ?? 0
    rows.push([
      t.toFixed(0),
      ...results.flatMap((r) => {
        const sample = r.samples[index]
        const previous = r.samples[index - 1]
        const rate =
          sample === undefined || previous === undefined || sample.t <= previous.t
            ? ''
            : ((sample.ops - previous.ops) / (sample.t - previous.t)).toFixed(0)
        return [rate, mb(sample?.rss), mb(sample?.heapUsed), mb(sample?.heapAfterGc)]
      }),
    ])
  }
  return markdown(
    header,
    header.map(() => true),
    rows,
  )
}

/** The error messages seen, per demo and class (the first few kinds, with counts). */
export function errorDetails(results: readonly DemoResult[]): string {
  const lines: string[] = []
  for (const result of results) {
    if (result.crashed !== undefined)
      lines.push(`${result.demo}: process ended during the soak (${result.crashed})`)
    for (const name of CLASSES) {
      for (const [message, count] of result.traffic[name].errorKinds)
        lines.push(`${result.demo} ${name}: ${count} × ${message}`)
    }
  }
  return lines.join('\n')
}

/** PASS/FAIL per demo; `failed` is true when any demo answered a 5xx, erred, crashed or kept growing. */
export function verdicts(results: readonly DemoResult[]): { text: string; failed: boolean } {
  let failed = false
  const lines = results.map((result) => {
    const errors = CLASSES.reduce((sum, name) => sum + result.traffic[name].errors, 0)
    const problems: string[] = []
    if (result.crashed !== undefined) problems.push(`crashed (${result.crashed})`)
    if (result.serverErrors > 0) problems.push(`${result.serverErrors} × 5xx`)
    if (errors > 0) problems.push(`${errors} unexpected answers`)
    if (!result.memory.ok) problems.push('memory keeps growing')
    if (problems.length > 0) failed = true
    const head = problems.length === 0 ? 'PASS' : 'FAIL'
    return `${head}  ${result.demo.padEnd(7)} ${problems.length === 0 ? '' : `${problems.join(', ')}; `}memory ${result.memory.summary}`
  })
  return { text: lines.join('\n'), failed }
}
