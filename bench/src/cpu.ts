/**
 * How much CPU other processes used during a run (Linux `/proc` only), so a run disturbed by
 * something else on the machine is visible in the table instead of silently skewing a ratio.
 */
import { readFileSync } from 'node:fs'

export interface CpuSample {
  /** user + nice + system ticks, all CPUs. */
  busy: number
  /** All ticks, all CPUs. */
  total: number
  /** utime + stime ticks of the watched processes (all their threads). */
  ours: number
  /** Ticks the hypervisor ran something else while this VM wanted the CPU, all CPUs. */
  steal: number
}

function readTicks(path: string): number[] | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number)
  } catch {
    return undefined
  }
}

export function processTicks(pid: number): number {
  try {
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** Above this (percent of one core), a run is flagged as disturbed. */
export const OTHER_CPU_WARNING = 10

/** `undefined` where `/proc` is not available. */
export function sampleCpu(pids: readonly number[]): CpuSample | undefined {
  const ticks = readTicks('/proc/stat')
  if (ticks === undefined || ticks.length < 4) return undefined
  const [user = 0, nice = 0, system = 0, , , , , steal = 0] = ticks
  return {
    busy: user + nice + system,
    total: ticks.reduce((sum, value) => sum + value, 0),
    ours: pids.reduce((sum, pid) => sum + processTicks(pid), 0),
    steal,
  }
}

/** Ticks counted by `pick` between two samples, in percent of one core's elapsed ticks. */
function percentOfCore(
  before: CpuSample | undefined,
  after: CpuSample | undefined,
  cores: number,
  pick: (before: CpuSample, after: CpuSample) => number,
): number | undefined {
  if (before === undefined || after === undefined) return undefined
  const elapsedPerCore = (after.total - before.total) / cores
  if (elapsedPerCore <= 0) return undefined
  return Math.max(0, (pick(before, after) / elapsedPerCore) * 100)
}

/**
 * CPU used by every process other than the watched ones between two samples, in percent of one
 * core (100 = one whole core taken from the benchmark).
 */
export function otherCpuPercent(
  before: CpuSample | undefined,
  after: CpuSample | undefined,
  cores: number,
): number | undefined {
  return percentOfCore(before, after, cores, (b, a) => a.busy - b.busy - (a.ours - b.ours))
}

/**
 * CPU the hypervisor gave to other guests while this VM wanted it, in percent of one core: the
 * host contention that `otherCpuPercent` cannot see. A run with steal is slower for reasons
 * outside the benchmark.
 */
export function stealPercent(
  before: CpuSample | undefined,
  after: CpuSample | undefined,
  cores: number,
): number | undefined {
  return percentOfCore(before, after, cores, (b, a) => a.steal - b.steal)
}

/** Clock ticks per second of `/proc` figures (`getconf CLK_TCK`: 100 on every Linux build in use). */
const TICKS_PER_SECOND = 100

/**
 * Server CPU per answered request, in µs, from the server's own ticks over the run: unlike req/s
 * it barely moves when the load generator or the host is slow, so it separates what the server
 * costs from what the machine did. 10 ms ticks: over a 5 s run, about 0.2 % resolution.
 */
export function cpuMicrosPerRequest(ticks: number, requests: number): number | undefined {
  if (requests <= 0) return undefined
  return (ticks / TICKS_PER_SECOND / requests) * 1e6
}
