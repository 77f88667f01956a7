/**
 * The consumer check: the packages as published, in projects laid out by each framework's own
 * generator, built with the framework's own tools and smoke-tested against the dev IdP.
 *
 *   pnpm --filter @org/consumer-check test [--only express,hono] [--keep]
 *
 * It packs every published package, starts the dev IdP, then for each framework copies its
 * recorded generator output (fixtures/<name>/generated) to a temporary folder, writes the README
 * code into it, installs the tarballs with npm, builds, starts and checks it. Frameworks install
 * side by side (network and disk) but build and run one at a time (2 cores). Exits 1 naming the
 * framework and step of every failure.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { express } from './frameworks/express.js'
import { hono } from './frameworks/hono.js'
import { nest11, nest12 } from './frameworks/nest.js'
import { next } from './frameworks/next.js'
import type { CheckContext, Framework } from './frameworks/types.js'
import { log, withLabel } from './log.js'
import { packAll } from './pack.js'
import type { Project } from './project.js'
import { failures, StepFailure, step, timings } from './steps.js'

const FRAMEWORKS: readonly Framework[] = [next, nest11, nest12, express, hono]
/** npm installs at once. */
const IO_SLOTS = Number(process.env['CONSUMER_INSTALLS'] ?? 2)
/** The steps every framework goes through, in the summary (their sub-steps are printed as they run). */
const PHASES = ['prepare', 'install', 'build', 'verify']

/** At most `limit` of the wrapped tasks run at once. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    active += 1
    try {
      return await task()
    } finally {
      active -= 1
      waiting.shift()?.()
    }
  }
}

function options(argv: readonly string[]): { only: Set<string> | undefined; keep: boolean } {
  const at = argv.indexOf('--only')
  const list = at >= 0 ? argv[at + 1] : process.env['CONSUMER_ONLY']
  const only = list ? new Set(list.split(',').map((name) => name.trim())) : undefined
  for (const name of only ?? []) {
    if (!FRAMEWORKS.some((framework) => framework.name === name)) {
      console.error(`unknown framework ${name}: one of ${FRAMEWORKS.map((f) => f.name).join(', ')}`)
      process.exit(2)
    }
  }
  return { only, keep: argv.includes('--keep') || process.env['CONSUMER_KEEP'] === '1' }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function summary(selected: readonly Framework[], totalMs: number): void {
  console.log('\nconsumer check summary')
  const setup = timings.filter((timing) => timing.framework === 'setup')
  console.log(`  setup: ${setup.map((t) => `${t.step} ${seconds(t.ms)}`).join(', ')}`)
  for (const framework of selected) {
    const failure = failures.find((f) => f.framework === framework.name)
    const own = timings.filter((t) => t.framework === framework.name && PHASES.includes(t.step))
    const steps = own.map((t) => `${t.step} ${seconds(t.ms)}`).join(', ')
    const mark = failure ? '✘' : own.some((t) => t.step === 'verify') ? '✔' : '–'
    console.log(`  ${mark} ${framework.name.padEnd(8)} ${framework.title}: ${steps || 'not run'}`)
  }
  console.log(`  total ${seconds(totalMs)}`)
  for (const failure of failures) {
    console.log(`\n✘ ${failure.framework} › ${failure.step}\n  ${failure.reason}`)
    if (failure.output) console.log(failure.output.replace(/^/gm, '  │ '))
  }
}

interface Slots {
  io: <T>(task: () => Promise<T>) => Promise<T>
  cpu: <T>(task: () => Promise<T>) => Promise<T>
  /** Deletes a finished project (node_modules of ~1 GB in all) while the others still run. */
  discard(dir: string): void
}

async function checkFramework(
  framework: Framework,
  ctx: CheckContext,
  { io, cpu, discard }: Slots,
): Promise<void> {
  await withLabel(framework.name, async () => {
    let project: Project | undefined
    try {
      project = await step('prepare', () => framework.prepare(ctx))
      const prepared = project
      await io(() => step('install', () => framework.install(prepared, ctx)))
      await cpu(async () => {
        await step('build', () => framework.build(prepared, ctx))
        await step('verify', () => framework.verify(prepared, ctx))
      })
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error
      failures.push(error)
    } finally {
      if (project) discard(project.dir)
    }
    const failed = failures.filter((failure) => failure.framework === framework.name).length
    log(failed === 0 ? '✔ passed' : `✘ ${failed} failed`)
  })
}

async function main(): Promise<number> {
  const started = performance.now()
  const { only, keep } = options(process.argv.slice(2))
  const selected = FRAMEWORKS.filter((framework) => only === undefined || only.has(framework.name))
  const root = mkdtempSync(join(tmpdir(), 'org-auth-consumer-'))
  log(`consumer check in ${root}: ${selected.map((framework) => framework.name).join(', ')}`)
  let idp: DevIdp | undefined
  const removals: Promise<void>[] = []
  try {
    const tarballDir = join(root, 'tarballs')
    mkdirSync(tarballDir)
    const tarballs = await step('pack', () => packAll(tarballDir))
    idp = await step('start the dev IdP', () => startDevIdp({ resource: 'https://api.example.com' }))
    const ctx: CheckContext = {
      root,
      idp,
      tarballs,
      sessionSecret: randomBytes(32).toString('base64'),
    }
    // The longest install and build (Next.js) go first. Installs (disk, network and CPU) run two
    // at a time, builds and servers one at a time: more only makes each slower on 2 cores.
    const slots: Slots = {
      io: limiter(IO_SLOTS),
      cpu: limiter(1),
      discard: (dir) => {
        if (!keep) removals.push(rm(dir, { recursive: true, force: true }))
      },
    }
    await Promise.all(selected.map((framework) => checkFramework(framework, ctx, slots)))
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error
    failures.push(error)
  } finally {
    await idp?.close()
  }
  summary(selected, performance.now() - started)
  if (keep) log(`kept ${root}`)
  else {
    const removing = performance.now()
    await Promise.all(removals)
    await rm(root, { recursive: true, force: true })
    log(`removed ${root} (${seconds(performance.now() - removing)} more)`)
  }
  return failures.length === 0 ? 0 : 1
}

process.exitCode = await main()
