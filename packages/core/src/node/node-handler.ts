/**
 * Serving a fetch-style handler from Node's HTTP server or Express (`nodeHandler`): the bridge's
 * request conversion (bridge.ts), the handler, `sendWebResponse`, and the answer to a failure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isAuthError } from '../errors.js'
import { authErrorResponse } from '../http/error-response.js'
import { type BridgeSettings, bridgeSettings, createRequest, type ToWebRequestOptions } from './bridge.js'
import { sendWebResponse } from './response.js'

export interface NodeHandlerOptions extends Omit<ToWebRequestOptions, 'res' | 'signal' | 'body'> {
  /**
   * Receives errors answered with a generic 500 (a failing handler, a body stream that broke) when
   * the middleware is called without `next`. Default: none (the 500 is sent, nothing is logged).
   */
  onError?: (error: unknown) => void
}

/** A fetch-style handler, the shape of the core's `handler(request)`. */
export type WebHandler = (request: Request) => Promise<Response>

/** A Node `request` listener that is also an Express / Connect middleware. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

const INTERNAL_ERROR_BODY = JSON.stringify({
  error: 'server_error',
  error_description: 'Internal server error',
})

function errorResponse(error: unknown): Response {
  if (isAuthError(error)) return authErrorResponse(error)
  return new Response(INTERNAL_ERROR_BODY, {
    status: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  })
}

/**
 * Serves a fetch-style handler from Node's HTTP server or Express: `toWebRequest`, the handler,
 * then `sendWebResponse`. Failures the client caused (an {@link AuthError} under 500, or 503) are
 * answered as JSON `{ error, error_description }` with their status, e.g. 413 for a body over
 * `bodyLimit`. Anything else goes to `next(err)` when there is one (Express's error handling), else
 * to `onError` and a 500 whose body says nothing about the cause. Options are checked here, once.
 */
export function nodeHandler(handler: WebHandler, options: NodeHandlerOptions = {}): NodeMiddleware {
  const settings = bridgeSettings(options)
  const { onError } = options
  return function webHandlerMiddleware(req, res, next) {
    const report = (error: unknown) => (next !== undefined ? next(error) : onError?.(error))
    serve(handler, settings, req, res)
      .catch((error: unknown) => answerError(error, req, res, report, next))
      // Last resort (a throwing onError): never an unhandled rejection, never a hanging client.
      .catch(() => res.destroy())
  }
}

async function serve(
  handler: WebHandler,
  settings: BridgeSettings,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const request = createRequest(req, settings, { res })
  const response = await handler(request)
  await sendWebResponse(res, response)
}

async function answerError(
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  report: (error: unknown) => void,
  next: ((error?: unknown) => void) | undefined,
): Promise<void> {
  const aborted = isAuthError(error) && error.code === 'ERR_REQUEST_ABORTED'
  if (res.destroyed || res.headersSent) {
    // Nobody to answer, or a response already under way (sendWebResponse destroyed it).
    if (!aborted) report(error)
    return
  }
  const clientError = isAuthError(error) && (error.status < 500 || error.status === 503)
  if (!clientError && next !== undefined) {
    next(error)
    return
  }
  if (!clientError) report(error)
  // A body that was refused or never read is not drained for the sake of keep-alive.
  if (!req.complete) res.setHeader('connection', 'close')
  await sendWebResponse(res, errorResponse(error)).catch(() => res.destroy())
}
