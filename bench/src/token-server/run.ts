/**
 * `pnpm bench:token`: client-credentials tokens issued per second over HTTP on 127.0.0.1, ours on
 * PostgreSQL beside oidc-provider, for `client_secret_basic` and `private_key_jwt`, as interleaved
 * pairs of slices (ours then theirs, theirs then ours...) so the machine's drift hits both alike;
 * the ratio of each pair, then their median. Then where our time goes (breakdown.ts).
 * Settings: DATABASE_URL (default the local server), BENCH_PAIRS (6), BENCH_SLICE seconds (3),
 * BENCH_CONNECTIONS (16).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { migrate, PostgresClientStore, PostgresKeyStore } from '@org/auth-postgres'
import { createClientRegistry, createKeyRing } from '@org/auth-server'
import autocannon from 'autocannon'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import pg from 'pg'
import { CORES, freePort, pinToCpu } from '../child.js'
import { writeJson } from '../report.js'
import { assertionBodies } from './assertions.js'
import { breakdown } from './breakdown.js'
import { AUDIENCE } from './constants.js'
import type { PeerConfig } from './peers.js'

const env = process.env
const DATABASE_URL = env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres'
const PAIRS = Math.max(2, Number(env['BENCH_PAIRS'] ?? 6))
const SLICE = Math.max(1, Number(env['BENCH_SLICE'] ?? 3))
const CONNECTIONS = Math.max(1, Number(env['BENCH_CONNECTIONS'] ?? 16))
const PEER_ENTRY = fileURLToPath(new URL('./peers.ts', import.meta.url))
const RESULTS = fileURLToPath(new URL('../../results/token-server.json', import.meta.url))

type Method = 'client_secret_basic' | 'private_key_jwt'
interface Peer {
  name: 'ours' | 'oidc-provider'
  url: string
  child: ChildProcess
  basic: string
  jwtClient: { clientId: string; privateKey: import('node:crypto').KeyObject; kid: string }
}

async function startPeer(config: PeerConfig): Promise<ChildProcess> {
  const child = fork(PEER_ENTRY, [], {
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      ...(env['BENCH_CPU_PROF'] ? ['--cpu-prof', '--cpu-prof-dir', env['BENCH_CPU_PROF']] : []),
    ],
    env: { ...env, NODE_ENV: 'production', BENCH_TOKEN_PEER: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message: { type: string; message?: string }) =>
      message.type === 'ready' ? resolve() : reject(new Error(message.message)),
    )
    child.once('exit', (code) => reject(new Error(`${config.kind} exited (${code})`)))
  })
  // The load generator keeps CPU 0; the server under test gets CPU 1 (PostgreSQL floats).
  if (CORES >= 2 && child.pid !== undefined) pinToCpu(child.pid, 1)
  return child
}

async function slice(peer: Peer, method: Method): Promise<{ rps: number; unexpected: number }> {
  const common = {
    url: `${peer.url}/token`,
    method: 'POST' as const,
    connections: CONNECTIONS,
    duration: SLICE,
  }
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  let result: autocannon.Result
  if (method === 'client_secret_basic') {
    result = await autocannon({
      ...common,
      headers: { ...form, authorization: peer.basic },
      body: 'grant_type=client_credentials&scope=read',
    })
  } else {
    const bodies = assertionBodies(20_000 * SLICE, peer.jwtClient, peer.url)
    let next = 0
    result = await autocannon({
      ...common,
      headers: form,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] as string }),
        },
      ],
    })
  }
  const ok = result.statusCodeStats?.['200']?.count ?? 0
  return { rps: ok / SLICE, unexpected: result.requests.total - ok + result.errors + result.timeouts }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function main(): Promise<void> {
  const schema = `org_auth_bench_${randomBytes(4).toString('hex')}`
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
  const peers: Peer[] = []
  try {
    await migrate(pool, { schema })
    const kek = randomBytes(32).toString('base64url')
    await createKeyRing({ store: new PostgresKeyStore(pool, { schema }), kek }).generate('ES256')
    const registry = createClientRegistry({ store: new PostgresClientStore(pool, { schema }) })
    const base = {
      clientType: 'confidential' as const,
      grantTypes: ['client_credentials' as const],
      scopes: ['read', 'write'],
      audiences: [AUDIENCE],
    }
    const secretClient = await registry.create({ name: 'bench secret client', ...base })
    const assertionKey = generateKeyPairSync('ed25519')
    const publicJwk = { ...(await exportJWK(assertionKey.publicKey)), alg: 'EdDSA', use: 'sig' } as JWK
    const kid = await calculateJwkThumbprint(publicJwk)
    publicJwk.kid = kid
    const jwtClient = await registry.create({
      name: 'bench assertion client',
      ...base,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    })
    const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`

    const oursPort = await freePort()
    const ours = `http://127.0.0.1:${oursPort}`
    peers.push({
      name: 'ours',
      url: ours,
      child: await startPeer({
        kind: 'ours',
        port: oursPort,
        issuer: ours,
        databaseUrl: DATABASE_URL,
        schema,
        kek,
      }),
      basic: basic(secretClient.clientId, secretClient.clientSecret as string),
      jwtClient: { clientId: jwtClient.clientId, privateKey: assertionKey.privateKey, kid },
    })
    const theirsPort = await freePort()
    const theirs = `http://127.0.0.1:${theirsPort}`
    const signing = await generateKeyPair('ES256', { extractable: true })
    const theirSecret = randomBytes(32).toString('base64url')
    peers.push({
      name: 'oidc-provider',
      url: theirs,
      child: await startPeer({
        kind: 'oidc-provider',
        port: theirsPort,
        issuer: theirs,
        secretClient: { clientId: 'bench-secret', clientSecret: theirSecret },
        jwtClient: { clientId: 'bench-jwt', publicJwk },
        signingJwk: { ...(await exportJWK(signing.privateKey)), alg: 'ES256', use: 'sig', kid: 'bench' },
      }),
      basic: basic('bench-secret', theirSecret),
      jwtClient: { clientId: 'bench-jwt', privateKey: assertionKey.privateKey, kid },
    })
    if (CORES >= 2) pinToCpu(process.pid, 0)

    const report: Record<string, unknown> = { pairs: PAIRS, sliceSeconds: SLICE, connections: CONNECTIONS }
    // BENCH_METHODS=client_secret_basic (or private_key_jwt): one method only, e.g. for a profile.
    const methods = (['client_secret_basic', 'private_key_jwt'] as const).filter(
      (method) => env['BENCH_METHODS'] === undefined || env['BENCH_METHODS'].split(',').includes(method),
    )
    for (const method of methods) {
      for (const peer of peers) {
        const warm = await slice(peer, method) // warm-up, and a check that it answers 200
        if (warm.rps === 0) {
          const probe = await fetch(`${peer.url}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: peer.basic },
            body: 'grant_type=client_credentials&scope=read',
          })
          throw new Error(
            `${peer.name} issued no token with ${method}: ${probe.status} ${await probe.text()}`,
          )
        }
      }
      const ratios: number[] = []
      const rates: Record<string, number[]> = { ours: [], 'oidc-provider': [] }
      let unexpected = 0
      for (let pair = 0; pair < PAIRS; pair++) {
        const order = pair % 2 === 0 ? peers : [...peers].reverse()
        const measured: Record<string, number> = {}
        for (const peer of order) {
          const { rps, unexpected: bad } = await slice(peer, method)
          measured[peer.name] = rps
          rates[peer.name]?.push(rps)
          unexpected += bad
        }
        ratios.push((measured['ours'] as number) / (measured['oidc-provider'] as number))
      }
      const line = `${method}: ours ${median(rates['ours'] as number[]).toFixed(0)} tokens/s, oidc-provider ${median(rates['oidc-provider'] as number[]).toFixed(0)} tokens/s; ratio median ${median(ratios).toFixed(2)}× (pairs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; goal ≥ 2×)${unexpected > 0 ? `; ${unexpected} answers other than 200` : ''}`
      console.log(line)
      report[method] = {
        ours: rates['ours'],
        oidcProvider: rates['oidc-provider'],
        ratios,
        median: median(ratios),
        unexpected,
      }
    }
    for (const peer of peers) peer.child.kill('SIGTERM')
    console.log('\nWhere our time goes (one at a time, µs per operation):')
    const steps = await breakdown(pool, schema, secretClient.clientId)
    for (const step of steps) console.log(`  ${step.name.padEnd(56)} ${step.micros.toFixed(1).padStart(8)}`)
    report['breakdown'] = steps
    await writeJson(RESULTS, report)
  } finally {
    for (const peer of peers) peer.child.kill('SIGTERM')
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await pool.end()
  }
}

await main()
