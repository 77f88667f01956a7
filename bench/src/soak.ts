/**
 * `pnpm bench:soak`: each demo under sustained mixed traffic for a bounded time on 127.0.0.1
 * (valid, invalid and missing bearer tokens, browser-less logins through the dev IdP, signed-in
 * page views and access-token refreshes), its memory sampled all along. Prints per demo and
 * traffic class the throughput, latency and errors, the memory series and a verdict; exits 1
 * when a demo answered a 5xx or anything unexpected, crashed, or its memory kept growing.
 * Outside `npm test`: it takes minutes (see bench/README.md, "Soak").
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { CORES } from './child.js'
import { otherCpuPercent, processTicks, sampleCpu } from './cpu.js'
import { writeJson } from './report.js'
import { CLASSES, LEEWAY, REFRESH_BEFORE, type SoakConfig, soakConfig } from './soak-config.js'
import { buildNextDemo, startDemo } from './soak-demos.js'
import { closeIdleConnections, serverErrors } from './soak-http.js'
import type { IdpMessage } from './soak-idp.js'
import { memoryVerdict, processTree, sampleMemory } from './soak-memory.js'
import {
  type DemoResult,
  errorDetails,
  memorySeries,
  summaryTable,
  trafficTable,
  verdicts,
} from './soak-report.js'
import { type IdpInfo, TokenSupply } from './soak-tokens.js'
import { newTrafficStats, runTraffic, totalOps } from './soak-traffic.js'

const RESULTS_FILE = fileURLToPath(new URL('../results/soak.json', import.meta.url))
const IDP_ENTRY = fileURLToPath(new URL('./soak-idp.ts', import.meta.url))
/** Expired tokens to have in hand before the first demo: the expired class needs variety. */
const EXPIRED_BEFORE_START = 20

const log = (line: string) => process.stderr.write(`${line}\n`)

async function startIdp(config: SoakConfig): Promise<{ info: IdpInfo; child: ChildProcess }> {
  const child = fork(IDP_ENTRY, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...process.env, SOAK_TOKEN_TTL: String(config.tokenTtl) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const message = await new Promise<IdpMessage>((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`the dev IdP exited before it was ready (code ${code})`)))
  })
  if (message.type === 'error') throw new Error(`the dev IdP failed to start: ${message.message}`)
  return { info: message, child }
}

async function soakDemo(
  name: SoakConfig['demos'][number],
  idp: IdpInfo,
  idpPid: number,
  supply: TokenSupply,
  config: SoakConfig,
): Promise<DemoResult> {
  const demo = await startDemo(name, idp.issuer, config.sampleSeconds)
  log(`${name}-demo: pid ${demo.pid} on ${demo.site.origin}, ${config.seconds} s of load`)
  const port = new URL(demo.site.origin).port
  serverErrors.delete(port)
  const treeTicks = (pid: number) => processTree(pid).reduce((sum, member) => sum + processTicks(member), 0)
  const ours = () => [...processTree(demo.pid), ...processTree(idpPid), process.pid]
  const ticksBefore = { demo: treeTicks(demo.pid), idp: treeTicks(idpPid), self: process.cpuUsage() }
  const machineBefore = sampleCpu(ours())
  const startedAt = Date.now()
  const stats = newTrafficStats()
  const sampler = sampleMemory(demo.pid, demo.memory, () => totalOps(stats), config.sampleSeconds)
  const traffic = await runTraffic(demo.site, supply, idp.issuer, config, stats)
  const samples = sampler.stop()
  // CPU over the load, in % of one core (/proc ticks are 10 ms): who was busy.
  const elapsed = (Date.now() - startedAt) / 1000
  const self = process.cpuUsage(ticksBefore.self)
  const cpu = {
    demo: (treeTicks(demo.pid) - ticksBefore.demo) / elapsed,
    idp: (treeTicks(idpPid) - ticksBefore.idp) / elapsed,
    soak: (self.user + self.system) / 1e4 / elapsed,
    // Everything else on the machine (other sessions' builds and tests): the figures are only as quiet as this.
    other: otherCpuPercent(machineBefore, sampleCpu(ours()), CORES),
  }
  const crashed = demo.exited()
  await demo.stop()
  const result: DemoResult = {
    demo: name,
    seconds: config.seconds,
    traffic,
    serverErrors: serverErrors.get(port) ?? 0,
    samples,
    memory: memoryVerdict(samples, config.tolerance),
    cpu,
    ...(crashed === undefined ? {} : { crashed }),
  }
  const ops = CLASSES.reduce((sum, c) => sum + traffic[c].count, 0)
  const errors = CLASSES.reduce((sum, c) => sum + traffic[c].errors, 0)
  log(
    `${name}-demo: ${ops} operations, ${errors} errors, ${result.serverErrors} × 5xx; memory ${result.memory.summary}`,
  )
  if (result.serverErrors > 0 || crashed !== undefined || process.env['SOAK_DEBUG'])
    log(`${name}-demo output (last lines):\n${demo.output().slice(-4000)}`)
  return result
}

async function main(): Promise<number> {
  const config = soakConfig()
  log(
    `soak: ${config.demos.join(', ')}; ${config.seconds} s each, ${config.concurrency} worker(s) per class, ` +
      `access tokens live ${config.tokenTtl} s (refreshed ${config.tokenTtl - REFRESH_BEFORE} s after issue), ` +
      `memory every ${config.sampleSeconds} s`,
  )
  const { info: idp, child: idpChild } = await startIdp(config)
  log(`dev IdP: ${idp.issuer}`)
  const supply = new TokenSupply(idp, config.tokenPool)
  const results: DemoResult[] = []
  try {
    // Tokens from now on: the first ones expire (at the IdP's clock, plus the verifier's leeway)
    // while the Next demo builds, or while we wait, so the expired class has real ones from the start.
    supply.start(config.mintRate)
    if (config.demos.includes('next') && config.nextBuild) {
      log('next-demo: next build...')
      const started = Date.now()
      await buildNextDemo()
      log(`next-demo: built in ${((Date.now() - started) / 1000).toFixed(0)} s`)
    }
    if (supply.expiredCount < EXPIRED_BEFORE_START) {
      log(`waiting for the first tokens to expire (${config.tokenTtl} s lifetime + ${LEEWAY} s leeway)...`)
      const deadline = Date.now() + (config.tokenTtl + LEEWAY + 30) * 1000
      while (supply.expiredCount < EXPIRED_BEFORE_START) {
        if (Date.now() > deadline)
          throw new Error(`no expired tokens in time: ${supply.minted} minted, ${supply.failures} refused`)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    for (const name of config.demos)
      results.push(await soakDemo(name, idp, idpChild.pid as number, supply, config))
  } finally {
    supply.stop()
    idpChild.kill('SIGTERM')
    closeIdleConnections()
  }

  console.log(
    `\nTraffic (${config.seconds} s per demo; ops/s over the whole run; a login is one operation of about ten requests):\n`,
  )
  console.log(trafficTable(results))
  console.log('\nPer demo:\n')
  console.log(summaryTable(results))
  console.log(
    `\nEvery ${config.sampleSeconds} s: operations per second, and memory in MB (RSS of the process tree; heap used and live heap after the latest mark-compact, main process):\n`,
  )
  console.log(memorySeries(results))
  const details = errorDetails(results)
  if (details !== '') console.log(`\nErrors:\n${details}`)
  const { text, failed } = verdicts(results)
  console.log(`\n${text}`)
  console.log(`\ntokens minted: ${supply.minted} (${supply.failures} refused by the IdP)`)
  await writeJson(RESULTS_FILE, {
    config,
    results: results.map((result) => ({
      ...result,
      traffic: Object.fromEntries(
        CLASSES.map((name) => {
          const stats = result.traffic[name]
          return [
            name,
            {
              count: stats.count,
              errors: stats.errors,
              p50Micros: stats.count === 0 ? null : stats.latency.percentile(50),
              p99Micros: stats.count === 0 ? null : stats.latency.percentile(99),
              errorKinds: Object.fromEntries(stats.errorKinds),
            },
          ]
        }),
      ),
    })),
  })
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
