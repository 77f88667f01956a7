import { type AuthError, describeAuthError, type ErrorResponseOptions, isAuthError } from '@org/auth-core'
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express'

export interface AuthErrorHandlerOptions extends ErrorResponseOptions {
  /**
   * Called with every auth error before it is answered, e.g. to log `error.code`. Messages never
   * contain tokens or secrets. Default: none.
   */
  onError?: (error: AuthError, req: Request) => void
}

/**
 * Answers errors from `requireAuth`/`requireScopes` as RFC 6750 asks: 400/401/403 with
 * `WWW-Authenticate` and a JSON `{ error, error_description }`, 503 with `Retry-After` when no
 * verification key can be had. Other errors pass on to the next error handler untouched.
 */
export function authErrorHandler(options: AuthErrorHandlerOptions = {}): ErrorRequestHandler {
  const { onError, ...responseOptions } = options
  // The answer to "no token at all", the usual refusal, never varies for one `requireAuth` (whose
  // shared error says which schemes it accepts): described once per such error.
  const described = new WeakMap<
    AuthError,
    { status: number; headers: Record<string, string>; body: string }
  >()
  const missingAnswer = (error: AuthError) => {
    let answer = described.get(error)
    if (answer === undefined) {
      const parts = describeAuthError(error, responseOptions)
      const headers = { ...parts.headers, 'content-type': 'application/json; charset=utf-8' }
      answer = { status: parts.status, headers, body: JSON.stringify(parts.body) }
      described.set(error, answer)
    }
    return answer
  }
  return function authErrorHandlerMiddleware(
    error: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (!isAuthError(error) || res.headersSent) {
      next(error)
      return
    }
    onError?.(error, req)
    if (error.code === 'ERR_BEARER_MISSING') {
      const missing = missingAnswer(error)
      res.status(missing.status).set(missing.headers).send(missing.body)
      return
    }
    const { status, headers, body } = describeAuthError(error, responseOptions)
    res.status(status).set(headers).json(body)
  }
}
