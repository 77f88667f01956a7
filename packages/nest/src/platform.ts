import type { IncomingMessage } from 'node:http'
import type { ExecutionContext } from '@nestjs/common'
import type { HttpAdapterHost } from '@nestjs/core'
import { ConfigurationError, isAuthError } from '@org/auth-core'
import { AuthException, applyHeaders } from './auth.exception.js'
import type { AuthRuntime } from './auth.options.js'

/**
 * Node's request behind what Nest hands a guard: Express's `req` is one (extended), Fastify's
 * `request` wraps one in `raw`. The core reads headers (and, for the login routes, the body) from it.
 */
export function nodeRequest(request: object): IncomingMessage {
  const { raw } = request as { raw?: IncomingMessage }
  return raw !== undefined && typeof raw === 'object' ? raw : (request as IncomingMessage)
}

/** Guards protect HTTP routes only: elsewhere (RPC, WebSocket) they refuse to run rather than pass. */
export function httpOf(context: ExecutionContext, guard: string) {
  if (context.getType() !== 'http') {
    throw new ConfigurationError(`${guard} protects HTTP routes only, not "${context.getType()}" handlers`)
  }
  return context.switchToHttp()
}

/**
 * Turns a failure into what the guard throws. Client failures (and 503) become an
 * {@link AuthException} whose headers are set on the response first, so that any exception
 * filter answers RFC 6750; anything else (a misconfiguration, a bug) is rethrown untouched, for
 * Nest to log and answer 500.
 */
export function rejection(
  error: unknown,
  response: unknown,
  runtime: AuthRuntime,
  adapterHost: HttpAdapterHost,
): unknown {
  if (!isAuthError(error) || (error.status >= 500 && error.status !== 503)) return error
  runtime.onError?.(error)
  const exception = new AuthException(error, runtime.errorResponse)
  applyHeaders(adapterHost, response, Object.entries(exception.headers))
  return exception
}
