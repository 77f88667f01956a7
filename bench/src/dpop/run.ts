/**
 * `pnpm bench:dpop`: the server CPU a request costs above the bare framework, under load, for
 * (a) an uncached RS256 bearer token (a signature check on every request) and (b) a cached
 * DPoP-bound ES256 token with a fresh ES256 proof per request (RFC 9449: the proof is checked every
 * time), beside express-oauth2-jwt-bearer with DPoP on, and OpenSSL's own verify cost as the floor
 * (`openssl speed`). Rounds alternate the servers' order; the table shows each figure's median.
 *
 * Knobs: BENCH_DURATION (5 s), BENCH_WARMUP (1 s), BENCH_CONNECTIONS (50), BENCH_ROUNDS (3),
 * BENCH_ONLY (express | hono), BENCH_DPOP_PROOFS (proofs signed per run, 150,000), BENCH_CPU_PROF
 * (a folder: each server writes a CPU profile there, for `pnpm bench:profile`).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { pinToCpu, type RunningServer, startServer } from '../child.js'
import { AUDIENCE, readSettings, SUBJECT } from '../config.js'
import { cpuMicrosPerRequest, processTicks } from '../cpu.js'
import { startIssuer } from '../issuer.js'
import { opensslVerifyMicros } from './openssl.js'
import { makeProofKey, signProofs } from './proofs.js'

const settings = readSettings(process.env)
const rounds = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3))
const proofCount = Math.max(1000, Number(process.env['BENCH_DPOP_PROOFS'] ?? 150_000))

type Load = 'bearer-rs256' | 'dpop'
interface Case {
  server: string
  framework: 'express' | 'hono'
  load: Load
  label: string
}

const CASES: Case[] = [
  { server: 'express-bare', framework: 'express', load: 'dpop', label: 'bare (DPoP headers, ignored)' },
  {
    server: 'express-ours-nocache',
    framework: 'express',
    load: 'bearer-rs256',
    label: '(a) ours, uncached RS256',
  },
  {
    server: 'express-oauth2-jwt-bearer',
    framework: 'express',
    load: 'bearer-rs256',
    label: 'express-oauth2-jwt-bearer, RS256 (its cache: none)',
  },
  {
    server: 'express-ours-dpop',
    framework: 'express',
    load: 'dpop',
    label: '(b) ours, cached DPoP token + ES256 proof',
  },
  {
    server: 'express-oauth2-jwt-bearer-dpop',
    framework: 'express',
    load: 'dpop',
    label: 'express-oauth2-jwt-bearer, DPoP',
  },
  { server: 'hono-bare', framework: 'hono', load: 'dpop', label: 'bare (DPoP headers, ignored)' },
  { server: 'hono-ours-nocache', framework: 'hono', load: 'bearer-rs256', label: '(a) ours, uncached RS256' },
  {
    server: 'hono-ours-dpop',
    framework: 'hono',
    load: 'dpop',
    label: '(b) ours, cached DPoP token + ES256 proof',
  },
]

const issuer = await startIssuer(AUDIENCE)
const proofKey = makeProofKey()
const boundToken = await issuer.signBound(proofKey.jkt)
const pinned = settings.pin && pinToCpu(process.pid, 0)
const serverCpu = pinned ? 1 : undefined

/** One measured run: warm-up, then `duration` seconds; the server's CPU per answered request. */
async function measure(running: RunningServer, load: Load) {
  const url = `${running.url}/protected`
  const headers = (proof: string | undefined): Record<string, string> =>
    load === 'dpop'
      ? { authorization: `DPoP ${boundToken}`, dpop: proof as string }
      : { authorization: `Bearer ${issuer.tokens.rs256}` }
  const proofs = load === 'dpop' ? signProofs(proofKey, url, boundToken, proofCount) : []
  let next = 0
  const fire = (duration: number) =>
    autocannon({
      url,
      connections: settings.connections,
      duration,
      timeout: 10,
      requests: [
        {
          method: 'GET',
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, ...headers(proofs[next++]) },
          }),
        },
      ],
    })
  // A preflight: the server answers 200 with the subject (or `anonymous` when bare).
  const check = await fetch(url, { headers: headers(proofs[next++]) })
  const body = await check.text()
  if (check.status !== 200 || !(body.includes(SUBJECT) || body.includes('anonymous'))) {
    throw new Error(`${url}: preflight answered ${check.status} ${body.slice(0, 200)}`)
  }
  if (settings.warmup > 0) await fire(settings.warmup)
  const before = processTicks(running.pid)
  const result = await fire(settings.duration)
  const ticks = processTicks(running.pid) - before
  const ok = result.statusCodeStats?.['200']?.count ?? 0
  if (load === 'dpop' && next > proofs.length) {
    console.warn(`  ${running.url}: ran out of proofs (raise BENCH_DPOP_PROOFS); replays were refused`)
  }
  return {
    cpuMicros: cpuMicrosPerRequest(ticks, result.requests.total) ?? Number.NaN,
    requestsPerSecond: result.requests.mean,
    failed: result.requests.total - ok,
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const cases = CASES.filter((c) => settings.only === undefined || c.framework === settings.only)
const samples = new Map<string, { cpu: number[]; added: number[]; rps: number[]; failed: number }>()
for (let round = 0; round < rounds; round++) {
  for (const framework of ['express', 'hono'] as const) {
    const group = cases.filter((c) => c.framework === framework)
    if (group.length === 0) continue
    // Rotate the order each round, so no server always runs first (a warmer or cooler machine).
    const order = group.map((_, i) => group[(i + round) % group.length] as Case)
    const cpu = new Map<string, number>()
    for (const c of order) {
      const running = await startServer(
        { name: c.server, issuer: issuer.url, jwksUri: issuer.jwksUri, audience: AUDIENCE },
        { cpu: serverCpu, cpuProfDir: settings.cpuProfDir },
      )
      try {
        const run = await measure(running, c.load)
        cpu.set(c.server, run.cpuMicros)
        const entry = samples.get(c.server) ?? { cpu: [], added: [], rps: [], failed: 0 }
        entry.cpu.push(run.cpuMicros)
        entry.rps.push(run.requestsPerSecond)
        entry.failed += run.failed
        samples.set(c.server, entry)
        console.log(
          `round ${round + 1} ${c.server}: ${run.cpuMicros.toFixed(1)} µs/request, ${Math.round(run.requestsPerSecond)} req/s`,
        )
      } finally {
        await running.stop()
      }
    }
    const bare = cpu.get(`${framework}-bare`)
    for (const c of group) {
      const value = cpu.get(c.server)
      if (bare !== undefined && value !== undefined) samples.get(c.server)?.added.push(value - bare)
    }
  }
}
await issuer.close()

const floor = opensslVerifyMicros()
const lines: string[] = [
  `# DPoP and uncached bearer: server CPU per request (${new Date().toISOString().slice(0, 10)})`,
  '',
  `\`pnpm bench:dpop\`: ${rounds} rounds of ${settings.duration} s (+${settings.warmup} s warm-up), ${settings.connections} connections,` +
    ` server pinned to a core: ${pinned ? 'yes' : 'no'}. Medians; "added" is the server's CPU per request minus the bare` +
    " framework's in the same round.",
  '',
  `OpenSSL ${floor.version}: RS256 (RSA-2048) verify ${floor.rsa2048.toFixed(1)} µs, ES256 (P-256) verify ${floor.p256.toFixed(1)} µs.`,
  '',
  '| framework | server | CPU µs/request | added µs | req/s | non-200 |',
  '| --- | --- | --- | --- | --- | --- |',
]
for (const c of cases) {
  const s = samples.get(c.server)
  if (s === undefined) continue
  const added = c.server.endsWith('-bare') ? '–' : median(s.added).toFixed(1)
  lines.push(
    `| ${c.framework} | ${c.label} | ${median(s.cpu).toFixed(1)} | ${added} | ${Math.round(median(s.rps))} | ${s.failed} |`,
  )
}
const addedOf = (server: string) => {
  const s = samples.get(server)
  return s === undefined || s.added.length === 0 ? undefined : median(s.added)
}
lines.push('', '## Goals', '')
for (const framework of ['express', 'hono'] as const) {
  const uncached = addedOf(`${framework}-ours-nocache`)
  if (uncached !== undefined) {
    const ratio = uncached / floor.rsa2048
    lines.push(
      `- (a) ${framework}, uncached RS256: ${uncached.toFixed(1)} µs added = ${ratio.toFixed(2)}× OpenSSL's verify` +
        ` (goal ≤ 2×): ${ratio <= 2 ? 'met' : 'not met'}`,
    )
  }
}
const ours = addedOf('express-ours-dpop')
const peer = addedOf('express-oauth2-jwt-bearer-dpop')
if (ours !== undefined && peer !== undefined) {
  lines.push(
    `- (b) express, cached DPoP token + fresh proof: ours ${ours.toFixed(1)} µs added, express-oauth2-jwt-bearer` +
      ` ${peer.toFixed(1)} µs (${(peer / ours).toFixed(2)}× ours; goal: ahead): ${ours < peer ? 'met' : 'not met'}`,
  )
}
const report = `${lines.join('\n')}\n`
console.log(`\n${report}`)
mkdirSync(new URL('../../results/', import.meta.url), { recursive: true })
writeFileSync(
  new URL(`../../results/dpop-${new Date().toISOString().slice(0, 10)}.md`, import.meta.url),
  report,
)
