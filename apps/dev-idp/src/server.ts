import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

export type JwksMode = 'up' | 'down' | 'hang'

/**
 * The dev IdP's HTTP server on 127.0.0.1. The request handler behind it can be swapped (key
 * rotation rebuilds the Provider) while the port stays the same. Requests to the JWKS path are
 * counted and can be failed (503) or left hanging to simulate an unavailable key endpoint.
 */
export class IdpServer {
  readonly #server: Server
  readonly #hanging = new Set<ServerResponse>()
  #handler: RequestListener | undefined
  #jwksPath: string
  #jwksMode: JwksMode = 'up'
  #jwksRequests = 0

  private constructor(server: Server, jwksPath: string) {
    this.#server = server
    this.#jwksPath = jwksPath
  }

  /** Binds to 127.0.0.1:`port` (0 picks a free port). Requests answer 503 until a handler is set. */
  static async listen(port: number, jwksPath: string): Promise<IdpServer> {
    let instance: IdpServer | undefined
    const server = createServer((req, res) => instance?.handle(req, res))
    instance = new IdpServer(server, jwksPath)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return instance
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port
  }

  get jwksRequests(): number {
    return this.#jwksRequests
  }

  setHandler(handler: RequestListener): void {
    this.#handler = handler
  }

  setJwksPath(path: string): void {
    this.#jwksPath = path
  }

  setJwksMode(mode: JwksMode): void {
    this.#jwksMode = mode
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (pathname === this.#jwksPath) {
      this.#jwksRequests += 1
      if (this.#jwksMode === 'down') {
        sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'JWKS endpoint is down' })
        return
      }
      if (this.#jwksMode === 'hang') {
        // Never answer; the socket is destroyed on close().
        this.#hanging.add(res)
        res.once('close', () => this.#hanging.delete(res))
        return
      }
    }
    if (!this.#handler) {
      sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'dev-idp is starting' })
      return
    }
    this.#handler(req, res)
  }

  /** Stops listening, destroys hanging JWKS requests and closes keep-alive connections. */
  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy()
    this.#hanging.clear()
    const closed = new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()))
    })
    this.#server.closeAllConnections()
    await closed
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

/** Refuse bodies beyond this: the forms and JSON bodies the dev IdP reads are a few hundred bytes. */
const MAX_BODY_BYTES = 16 * 1024

/** The string members of a urlencoded form or JSON object body (at most MAX_BODY_BYTES). */
export async function readParams(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  const params: Record<string, string> = {}
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed: unknown = text ? JSON.parse(text) : {}
    if (parsed && typeof parsed === 'object') {
      for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') params[name] = value
    }
  } else {
    for (const [name, value] of new URLSearchParams(text)) params[name] = value
  }
  return params
}
