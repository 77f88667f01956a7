import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A test server's view of a request body: the whole of it, as UTF-8. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A scriptable HTTP server on 127.0.0.1 for fault injection: each path answers with whatever
 * handler the test sets, and requests are counted per path.
 */
export async function startFaultServer() {
  const routes = new Map<string, Handler>()
  const hits = new Map<string, number>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const handler = routes.get(path)
    if (handler === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}')
      return
    }
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    url: (path: string) => `${base}${path}`,
    route(path: string, handler: Handler) {
      routes.set(path, handler)
    },
    json(path: string, body: unknown, status = 200) {
      routes.set(path, (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      })
    },
    hits: (path: string) => hits.get(path) ?? 0,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type FaultServer = Awaited<ReturnType<typeof startFaultServer>>
