/**
 * Child-process entry of the session bench: starts one server of `servers/` on 127.0.0.1 (name,
 * port and the run's secret, IdP and Redis from the environment) and reports over IPC when it listens.
 */
import type { Server } from 'node:http'
import { serverConfigFromEnv } from '../config.js'
import type { ServerMessage } from '../server.js'
import { loadServers } from './registry.js'

export const SESSION_ENV = {
  secret: 'BENCH_SESSION_SECRET',
  redisUrl: 'BENCH_REDIS_URL',
  redisPrefix: 'BENCH_REDIS_PREFIX',
  runId: 'BENCH_RUN_ID',
} as const

async function start(): Promise<Server> {
  const config = serverConfigFromEnv(process.env)
  const spec = (await loadServers()).find((server) => server.name === config.name)
  if (spec === undefined) throw new Error(`Unknown session server "${config.name}"`)
  return spec.listen({
    port: config.port,
    origin: `http://127.0.0.1:${config.port}`,
    issuer: config.issuer,
    secret: process.env[SESSION_ENV.secret] ?? '',
    redisUrl: process.env[SESSION_ENV.redisUrl] ?? '',
    redisPrefix: process.env[SESSION_ENV.redisPrefix] ?? '',
    runId: process.env[SESSION_ENV.runId] ?? '',
    env: process.env,
  })
}

const report = (message: ServerMessage) => process.send?.(message)
try {
  const server = await start()
  const address = server.address()
  report({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })
  // The parent going away (crash, Ctrl-C) must not leave a server behind.
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
} catch (error) {
  report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  process.exitCode = 1
  process.disconnect?.()
}
