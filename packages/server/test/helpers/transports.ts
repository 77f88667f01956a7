/**
 * The token server behind each of its transports, as a Web handler for tests: `web` calls
 * `createTokenServer`'s handler directly; `node` sends the request over HTTP on 127.0.0.1 to
 * `createNodeTokenServer` on Node's own `http` server (method, path, query, headers and body as
 * given, the body streamed when it is a stream), so the same tests hold for both.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenServer, type TokenServerOptions } from '../../src/index.js'
import { createNodeTokenServer } from '../../src/node.js'

export const TRANSPORTS = ['web', 'node'] as const
export type Transport = (typeof TRANSPORTS)[number]

const servers = new Set<Server>()

/** Stops every Node server `tokenServerOver` started (afterAll). */
export async function closeTransports(): Promise<void> {
  const closing = [...servers].map(
    (server) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  servers.clear()
  await Promise.all(closing)
}

/** A Web request's view of a Node request, for a test's `clientAddress` written against Request. */
function asWebRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
  }
  return new Request(`http://127.0.0.1${req.url ?? '/'}`, { method: req.method ?? 'GET', headers })
}

export async function tokenServerOver(
  transport: Transport,
  options: TokenServerOptions,
): Promise<(request: Request) => Promise<Response>> {
  if (transport === 'web') return createTokenServer(options)
  const { clientAddress } = options
  const listener = createNodeTokenServer({
    ...options,
    clientAddress: clientAddress === undefined ? undefined : (req) => clientAddress(asWebRequest(req)),
  })
  const server = createServer(listener)
  servers.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return async (request) => {
    const url = new URL(request.url)
    const hasBody = request.body !== null
    return fetch(`${origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      redirect: 'manual',
      ...(hasBody ? { body: request.body, duplex: 'half' } : {}),
    } as RequestInit)
  }
}
