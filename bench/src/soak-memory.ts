/**
 * Memory of a demo over the soak: the RSS of its whole process tree (`/proc/<pid>/status`
 * VmRSS, summed over the demo and any children it started) and the main process's V8 heap (from
 * the preloaded probe), every few seconds; then whether it levelled off.
 *
 * The verdict compares the last third of the run with the middle one, once the caches had the
 * first third to fill. RSS alone misleads here: it holds V8's heap headroom, which grows and
 * shrinks with when the last mark-compact happened (Next's heap swings 40 → 140 MB between two).
 * So the verdict splits it: the live heap (heap used right after the latest mark-compact) and
 * the memory outside V8's heap (RSS minus the heap's size: code, buffers, native allocations).
 * A leak in JavaScript shows in the first, a native or Buffer leak in the second; either
 * growing past the tolerance fails. RSS peaks and slopes are printed beside them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { ProbeMessage } from './soak-demos.js'

/** Allowed growth on top of the relative tolerance: small absolute wobbles are not a trend. */
const OFF_HEAP_SLACK = 8 * 2 ** 20
const HEAP_SLACK = 4 * 2 ** 20
const MIN_SAMPLES = 6

export interface MemorySample {
  /** Seconds since the load started. */
  t: number
  /** Bytes, the whole process tree; undefined without /proc. */
  rss: number | undefined
  heapUsed: number | undefined
  heapTotal: number | undefined
  /** Heap used right after the latest mark-compact so far. */
  heapAfterGc: number | undefined
  majorGcs: number | undefined
  /** Operations the soak completed so far (all classes): throughput over time. */
  ops: number
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
export function sampleMemory(
  pid: number,
  probe: () => ProbeMessage | undefined,
  ops: () => number,
  seconds: number,
) {
  const startedAt = Date.now()
  const samples: MemorySample[] = []
  const take = () => {
    const heap = probe()
    samples.push({
      t: (Date.now() - startedAt) / 1000,
      rss: treeRss(pid),
      heapUsed: heap?.heapUsed,
      heapTotal: heap?.heapTotal,
      heapAfterGc: heap?.heapAfterGc,
      majorGcs: heap?.majorGcs,
      ops: ops(),
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
  /** Peak RSS (informational). */
  rss?: Comparison
  /** Live heap: the highest after-GC reading of each third. */
  liveHeap?: Comparison
  /** RSS minus V8's heap size: peak of each third. */
  offHeap?: Comparison
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

type Reading = (sample: MemorySample) => number | undefined

function compare(
  middle: readonly MemorySample[],
  last: readonly MemorySample[],
  read: Reading,
  tolerance: number,
  slack: number,
): Comparison | undefined {
  const values = (part: readonly MemorySample[]) => part.map(read).filter((v): v is number => v !== undefined)
  const [m, l] = [values(middle), values(last)]
  if (m.length === 0 || l.length === 0) return undefined
  const [peakMiddle, peakLast] = [Math.max(...m), Math.max(...l)]
  return {
    middle: peakMiddle,
    last: peakLast,
    growth: (peakLast - peakMiddle) / peakMiddle,
    ok: peakLast <= peakMiddle * (1 + tolerance) + slack,
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const pct = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`
const describe = (name: string, c: Comparison | undefined) =>
  c === undefined ? `${name} n/a` : `${name} ${mb(c.middle)} → ${mb(c.last)} (${pct(c.growth)})`

export function memoryVerdict(samples: readonly MemorySample[], tolerance: number): MemoryVerdict {
  const end = samples.at(-1)?.t ?? 0
  if (samples.length < MIN_SAMPLES) {
    return { ok: true, summary: `inconclusive: ${samples.length} samples (need ${MIN_SAMPLES})` }
  }
  // Thirds by time; the last one keeps the final sample.
  const third = (from: number, to: number) =>
    samples.filter((s) => s.t >= (from * end) / 3 && (to === 3 || s.t < (to * end) / 3))
  const [middle, last] = [third(1, 2), third(2, 3)]
  const rss = compare(middle, last, (s) => s.rss, tolerance, 0)
  // A live-heap reading is only news in a third where a mark-compact ran.
  const gcsIn = (part: readonly MemorySample[]) => (part.at(-1)?.majorGcs ?? 0) - (part[0]?.majorGcs ?? 0)
  const lastGcs = gcsIn([middle.at(-1) as MemorySample, ...last])
  const liveHeap =
    lastGcs > 0 ? compare(middle, last, (s) => s.heapAfterGc, tolerance, HEAP_SLACK) : undefined
  const offHeap = compare(
    middle,
    last,
    (s) => (s.rss === undefined || s.heapTotal === undefined ? undefined : s.rss - s.heapTotal),
    tolerance,
    OFF_HEAP_SLACK,
  )
  const first = slope(samples.filter((s) => s.t < end / 2))
  const second = slope(samples.filter((s) => s.t >= end / 2))
  const ok = (liveHeap?.ok ?? true) && (offHeap?.ok ?? true)
  const parts = [
    lastGcs > 0 ? describe('live heap', liveHeap) : 'live heap n/a (no mark-compact in the last third)',
    describe('off-heap', offHeap),
    describe('RSS peak', rss),
    `RSS slope ${first?.toFixed(1) ?? '?'} → ${second?.toFixed(1) ?? '?'} MB/min`,
  ]
  return {
    ok,
    summary: `${ok ? 'levels off' : 'KEEPS GROWING'}: ${parts.join(', ')} (middle → last third)`,
    ...(rss === undefined ? {} : { rss }),
    ...(liveHeap === undefined ? {} : { liveHeap }),
    ...(offHeap === undefined ? {} : { offHeap }),
    ...(first === undefined ? {} : { slopeFirstHalf: first }),
    ...(second === undefined ? {} : { slopeLastHalf: second }),
  }
}
