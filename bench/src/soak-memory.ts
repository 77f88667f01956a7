/**
 * Memory of a demo over the soak: the RSS of its whole process tree (`/proc/<pid>/status`
 * VmRSS, summed over the demo and any children it started) and the main process's V8 heap (from
 * the preloaded probe), every few seconds; then whether it levelled off.
 *
 * The verdict compares the last third of the run with the middle one, once the caches had the
 * first third to fill: RSS by its peak (what the OS must give), the heap by its lowest reading
 * (the sawtooth's troughs follow the live set after each GC, the peaks only when GC happened to run).
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { ProbeMessage } from './soak-demos.js'

/** Allowed growth on top of the relative tolerance: small absolute wobbles are not a trend. */
const RSS_SLACK = 8 * 2 ** 20
const HEAP_SLACK = 4 * 2 ** 20
const MIN_SAMPLES = 6

export interface MemorySample {
  /** Seconds since the load started. */
  t: number
  /** Bytes, the whole process tree; undefined without /proc. */
  rss: number | undefined
  heapUsed: number | undefined
  heapTotal: number | undefined
  external: number | undefined
}

function statusRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** The pid and all its descendants (a scan of /proc; a few hundred entries at most here). */
export function processTree(root: number): number[] {
  let pids: number[]
  try {
    pids = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
  } catch {
    return [root]
  }
  const children = new Map<number, number[]>()
  for (const pid of pids) {
    const parent = parentOf(pid)
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid])
  }
  const tree = [root]
  for (let index = 0; index < tree.length; index += 1)
    tree.push(...(children.get(tree[index] as number) ?? []))
  return tree
}

export function treeRss(pid: number): number | undefined {
  let total: number | undefined
  for (const member of processTree(pid)) {
    const rss = statusRss(member)
    if (rss !== undefined) total = (total ?? 0) + rss
  }
  return total
}

/** Samples every `seconds` until `stop()`, which returns the series. */
export function sampleMemory(pid: number, probe: () => ProbeMessage | undefined, seconds: number) {
  const startedAt = Date.now()
  const samples: MemorySample[] = []
  const take = () => {
    const heap = probe()
    samples.push({
      t: (Date.now() - startedAt) / 1000,
      rss: treeRss(pid),
      heapUsed: heap?.heapUsed,
      heapTotal: heap?.heapTotal,
      external: heap?.external,
    })
  }
  take()
  const timer = setInterval(take, seconds * 1000)
  return {
    stop(): MemorySample[] {
      clearInterval(timer)
      take()
      return samples
    },
  }
}

export interface Comparison {
  /** The middle third's figure and the last third's, in bytes. */
  middle: number
  last: number
  growth: number
  ok: boolean
}

export interface MemoryVerdict {
  /** False when memory kept growing; true when it levelled off or could not be judged. */
  ok: boolean
  /** Why, in one line. */
  summary: string
  rss?: Comparison
  heap?: Comparison
  /** Least-squares RSS slope, MB per minute, over the first and the second half. */
  slopeFirstHalf?: number
  slopeLastHalf?: number
}

function slope(points: readonly MemorySample[]): number | undefined {
  const usable = points.filter((point) => point.rss !== undefined)
  if (usable.length < 2) return undefined
  const meanT = usable.reduce((sum, p) => sum + p.t, 0) / usable.length
  const meanR = usable.reduce((sum, p) => sum + (p.rss as number), 0) / usable.length
  let num = 0
  let den = 0
  for (const p of usable) {
    num += (p.t - meanT) * ((p.rss as number) - meanR)
    den += (p.t - meanT) ** 2
  }
  return den === 0 ? undefined : ((num / den) * 60) / 2 ** 20
}

function compare(
  middle: number[],
  last: number[],
  pick: (values: number[]) => number,
  tolerance: number,
  slack: number,
): Comparison | undefined {
  if (middle.length === 0 || last.length === 0) return undefined
  const [m, l] = [pick(middle), pick(last)]
  return { middle: m, last: l, growth: (l - m) / m, ok: l <= m * (1 + tolerance) + slack }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const pct = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`

export function memoryVerdict(samples: readonly MemorySample[], tolerance: number): MemoryVerdict {
  const end = samples.at(-1)?.t ?? 0
  if (samples.length < MIN_SAMPLES) {
    return { ok: true, summary: `inconclusive: ${samples.length} samples (need ${MIN_SAMPLES})` }
  }
  // Thirds by time; the last one keeps the final sample.
  const third = (from: number, to: number) =>
    samples.filter((s) => s.t >= (from * end) / 3 && (to === 3 || s.t < (to * end) / 3))
  const [middle, last] = [third(1, 2), third(2, 3)]
  const values = (part: MemorySample[], key: 'rss' | 'heapUsed') =>
    part.map((s) => s[key]).filter((v): v is number => v !== undefined)
  const rss = compare(values(middle, 'rss'), values(last, 'rss'), (v) => Math.max(...v), tolerance, RSS_SLACK)
  const heap = compare(
    values(middle, 'heapUsed'),
    values(last, 'heapUsed'),
    (v) => Math.min(...v),
    tolerance,
    HEAP_SLACK,
  )
  const half = samples.filter((s) => s.t < end / 2)
  const verdict: MemoryVerdict = {
    ok: (rss?.ok ?? true) && (heap?.ok ?? true),
    summary: '',
    ...(rss === undefined ? {} : { rss }),
    ...(heap === undefined ? {} : { heap }),
  }
  const first = slope(half)
  const second = slope(samples.filter((s) => s.t >= end / 2))
  if (first !== undefined) verdict.slopeFirstHalf = first
  if (second !== undefined) verdict.slopeLastHalf = second
  const parts = [
    rss === undefined ? 'RSS n/a' : `RSS peak ${mb(rss.middle)} → ${mb(rss.last)} (${pct(rss.growth)})`,
    heap === undefined
      ? 'heap n/a'
      : `heap trough ${mb(heap.middle)} → ${mb(heap.last)} (${pct(heap.growth)})`,
    `RSS slope ${first?.toFixed(1) ?? '?'} → ${second?.toFixed(1) ?? '?'} MB/min`,
  ]
  verdict.summary = `${verdict.ok ? 'levels off' : 'KEEPS GROWING'}: ${parts.join(', ')} (middle → last third)`
  return verdict
}
