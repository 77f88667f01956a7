/** Listening on 127.0.0.1 for Express apps and Hono fetch handlers, as the bearer bench does. */
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import type { Express } from 'express'

export function listenExpress(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(server)))
  })
}

export function listenHono(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, () => resolve(server as Server))
    server.once('error', reject)
  })
}
