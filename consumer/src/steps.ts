/**
 * Named steps (`express › build`), timed and printed with the framework they belong to: the
 * frameworks run side by side, so every line says whose it is. A failure keeps the framework,
 * the step and the output of the command that failed.
 */
import { CommandError, tail } from './exec.js'
import { currentLabel, log } from './log.js'

export class StepFailure extends Error {
  constructor(
    readonly framework: string,
    readonly step: string,
    readonly reason: string,
    readonly output: string | undefined,
  ) {
    super(`${framework} › ${step}: ${reason}`)
  }
}

export interface Timing {
  framework: string
  step: string
  ms: number
}

export const timings: Timing[] = []

/** Every failure of the run, in order: a framework's failed step, or any failed check. */
export const failures: StepFailure[] = []

/** Runs `fn` as `<framework> › <name>`: printed, timed, and failing with both names. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const framework = currentLabel() ?? 'setup'
  const started = performance.now()
  log(`▶ ${name}`)
  try {
    const result = await fn()
    const ms = performance.now() - started
    timings.push({ framework, step: name, ms })
    log(`✔ ${name} (${(ms / 1000).toFixed(1)} s)`)
    return result
  } catch (error) {
    timings.push({ framework, step: name, ms: performance.now() - started })
    if (error instanceof StepFailure) throw error
    const reason = error instanceof Error ? error.message : String(error)
    const output = error instanceof CommandError ? tail(error.output) : undefined
    log(`✘ ${name}: ${reason}`)
    throw new StepFailure(framework, name, reason, output)
  }
}

/**
 * A step whose failure is recorded but does not stop the framework: the smoke checks and the
 * project's own tests are independent, so one run shows every problem. Returns whether it passed.
 */
export async function check(name: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await step(name, fn)
    return true
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error
    failures.push(error)
    return false
  }
}
