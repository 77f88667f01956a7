/**
 * How auth failures leave a Nest application. A guard sets the response headers the failure
 * needs (`WWW-Authenticate`, `Retry-After`, `Location`, `Set-Cookie`) on the response itself,
 * then throws an `HttpException` with the status and JSON body: so Nest's default exception
 * filter, or an application's own, answers correctly, never a bare 401 (as @nestjs/throttler sets
 * `Retry-After` before throwing). `AuthExceptionFilter` is optional: it also answers `AuthError`s
 * thrown by application code.
 */

import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import {
  AuthError,
  describeAuthError,
  type ErrorResponseOptions,
  type ErrorResponseParts,
} from '@org/auth-core'
import { AUTH_RUNTIME } from './auth.constants.js'
import type { AuthRuntime } from './auth.options.js'

/** A bearer-token failure (or a refused request) with its RFC 6750 answer. `cause` is the `AuthError`. */
export class AuthException extends HttpException {
  /** The failure, with its stable `code`. */
  readonly error: AuthError
  /** Headers of the answer: `WWW-Authenticate` for 400/401/403, `Retry-After` for 503, `Cache-Control`. */
  readonly headers: Readonly<Record<string, string>>

  constructor(error: AuthError, options: ErrorResponseOptions = {}) {
    const parts: ErrorResponseParts = describeAuthError(error, options)
    super(parts.body, parts.status, { cause: error })
    // A literal: Nest names exceptions after `constructor.name`, which minifiers rename.
    this.name = 'AuthException'
    this.error = error
    this.headers = parts.headers
  }
}

/**
 * `SessionGuard` refused the request with the core's answer: a redirect to the login route (a
 * page navigation without a session), 401 JSON (other requests), or 403 JSON (missing scope).
 * The body of a redirect, which the browser never shows, is the 401 body.
 */
export class SessionCheckException extends HttpException {
  /** Headers of the core's answer (`Location`, `Set-Cookie`...), also set on the response. */
  readonly headers: readonly (readonly [string, string])[]

  constructor(status: number, body: object, headers: readonly (readonly [string, string])[]) {
    super(body, status)
    this.name = 'SessionCheckException'
    this.headers = headers
  }
}

/** Sets `headers` on Express's or Fastify's response; `Set-Cookie` lines are appended, not replaced. */
export function applyHeaders(
  adapterHost: HttpAdapterHost,
  response: unknown,
  headers: Iterable<readonly [string, string]>,
): void {
  const adapter = adapterHost.httpAdapter
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'set-cookie' && adapter.appendHeader !== undefined) {
      adapter.appendHeader(response, name, value)
    } else {
      adapter.setHeader(response, name, value)
    }
  }
}

/**
 * Answers auth failures with their status, headers and JSON body, wherever they were thrown:
 * `AuthException`, `SessionCheckException`, and any `AuthError` from `@org/auth-core` (e.g.
 * `throw new InsufficientScopeError(['admin'])` in a service). Other exceptions are not caught.
 * Register it with `{ provide: APP_FILTER, useClass: AuthExceptionFilter }` (AuthModule provides
 * its dependencies) or `app.useGlobalFilters(app.get(AuthExceptionFilter))`. Errors of status 500
 * (misconfiguration) answer a generic `server_error` and are logged.
 */
@Catch(AuthException, SessionCheckException, AuthError)
@Injectable()
export class AuthExceptionFilter implements ExceptionFilter {
  readonly #logger = new Logger('AuthExceptionFilter')

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime,
  ) {}

  catch(exception: AuthException | SessionCheckException | AuthError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<unknown>()
    const adapter = this.adapterHost.httpAdapter
    if (adapter.isHeadersSent(response)) return
    if (exception instanceof SessionCheckException) {
      // Its headers (cookies among them) were set by the guard; appending them again would double them.
      adapter.reply(response, exception.getResponse(), exception.getStatus())
      return
    }
    const error = exception instanceof AuthException ? exception.error : exception
    if (!(exception instanceof AuthException)) this.runtime.onError?.(error)
    if (error.status >= 500 && error.status !== 503) this.#logger.error(error)
    const { status, headers, body } = describeAuthError(error, this.runtime.errorResponse)
    applyHeaders(this.adapterHost, response, Object.entries(headers))
    adapter.reply(response, body, status)
  }
}
