/**
 * Child-process entry: starts one server under test on 127.0.0.1 (name and port from the
 * environment, see `SERVER_ENV`) and tells the parent over IPC when it listens.
 */
import type { Server } from 'node:http'
import { SERVERS, serverConfigFromEnv } from './config.js'

export type ServerMessage = { type: 'ready'; port: number } | { type: 'error'; message: string }

function report(message: ServerMessage): void {
  process.send?.(message)
}

async function start(): Promise<Server> {
  const config = serverConfigFromEnv(process.env)
  const spec = SERVERS.find((server) => server.name === config.name)
  if (spec === undefined) throw new Error(`Unknown server "${config.name}"`)
  if (spec.framework === 'express') {
    const { createExpressApp } = await import('./servers/express.js')
    const app = createExpressApp(config)
    return new Promise((resolve, reject) => {
      const server = app.listen(config.port, '127.0.0.1', (error?: Error) =>
        error ? reject(error) : resolve(server),
      )
    })
  }
  const [{ serve }, { createHonoFetch }] = await Promise.all([
    import('@hono/node-server'),
    import('./servers/hono.js'),
  ])
  const fetch = createHonoFetch(config)
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.port, hostname: '127.0.0.1' }, () => resolve(server as Server))
    server.once('error', reject)
  })
}

try {
  const server = await start()
  const address = server.address()
  report({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })
  // The parent going away (crash, Ctrl-C) must not leave a server behind.
  process.on('disconnect', () => process.exit(0))
  process.on('SIGTERM', () => process.exit(0))
} catch (error) {
  report({ type: 'error', message: error instanceof Error ? error.message : String(error) })
  process.exitCode = 1
  process.disconnect?.()
}
