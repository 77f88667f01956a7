/**
 * `createTokenServer`: an OAuth 2.0 authorization server for machine-to-machine clients, as a Web
 * `(Request) => Promise<Response>` handler any adapter can mount. It issues RFC 9068 JWT access
 * tokens for the client-credentials grant, introspects (RFC 7662) and revokes (RFC 7009) them,
 * and publishes its keys and its RFC 8414 metadata (routes.ts). On Node, `createNodeTokenServer`
 * (`@org/auth-server/node`) serves the same endpoints without building Web requests.
 */
import { readCapped } from '@org/auth-core'
import type { TokenServerHeader, TokenServerRequest } from './exchange.js'
import { resolveOptions, type TokenServerOptions } from './options.js'
import { TokenRequestError } from './respond.js'
import { answerTokenServerRequest } from './routes.js'

export type TokenServerHandler = (request: Request) => Promise<Response>

const tooLarge = () => new TokenRequestError('invalid_request', 'The request body is too large', 413)

function webRequest(
  request: Request,
  clientAddress: ((request: Request) => string | undefined) | undefined,
): TokenServerRequest {
  return {
    method: request.method,
    path: new URL(request.url).pathname,
    header: (name: TokenServerHeader) => request.headers.get(name),
    body: (maxBytes) => readCapped(request, maxBytes, tooLarge),
    clientAddress: () => clientAddress?.(request),
  }
}

/** The token server's handler. Throws `ConfigurationError` on invalid options. */
export function createTokenServer(options: TokenServerOptions): TokenServerHandler {
  const server = resolveOptions(options)
  const { clientAddress } = options
  return async (request) => {
    const answer = await answerTokenServerRequest(server, webRequest(request, clientAddress))
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  }
}
