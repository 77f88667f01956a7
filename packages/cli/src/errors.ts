/**
 * The CLI's exit codes and the one-line message each failure prints. Errors of the toolkit carry
 * a stable `code` and an HTTP-like `status`; the exit code follows from them, so a script can tell
 * a typo from an outage without parsing messages.
 */
import { AuthError, ConfigurationError } from '@org/auth-core'

export const EXIT = {
  ok: 0,
  /** The database or another dependency failed: retrying later may help. */
  failure: 1,
  /** The command line or the configuration is wrong: retrying will not help. */
  usage: 2,
  /** No client or key has the given id. */
  notFound: 3,
  /** The change conflicts with the current state (a disabled client, a lost race). */
  conflict: 4,
} as const

/**
 * A failure of the CLI itself: a missing environment variable, an invalid option value. `exitCode`
 * is one of `EXIT`.
 */
export class CliError extends AuthError {
  static {
    // As the toolkit names its classes: a literal `name`, and the identity AuthError's `instanceof`
    // recognises across copies.
    Object.defineProperty(CliError.prototype, 'name', {
      value: 'CliError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(CliError.prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-cli/CliError',
    })
  }
  readonly exitCode: number
  constructor(code: string, message: string, exitCode: number = EXIT.usage) {
    super(code, message, exitCode === EXIT.usage ? 400 : 500)
    this.exitCode = exitCode
  }
}

// Key ring codes that mean the configuration or the command line is wrong.
const USAGE_CODES = new Set(['ERR_KEK_INVALID', 'ERR_KEY_OPTIONS', 'ERR_KEY_ALGORITHM', 'ERR_CLIENT_UPDATE'])

export function exitCodeOf(error: unknown): number {
  if (error instanceof CliError) return error.exitCode
  if (!(error instanceof AuthError)) return EXIT.failure
  // An invalid option of a library (a schema name, an issuer URL), whatever its code.
  if (error instanceof ConfigurationError) return EXIT.usage
  if (error.status === 404) return EXIT.notFound
  if (error.status === 409) return EXIT.conflict
  // The registry's validation errors (400) are invalid option values.
  if (error.status === 400 || USAGE_CODES.has(error.code)) return EXIT.usage
  return EXIT.failure
}

/** The system error code under a store error (`ECONNREFUSED`, `28P01`…): never its message. */
function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause
  const code = cause?.code
  return typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? code : undefined
}

/**
 * `{ code, message }` of any error, on one line. Toolkit errors keep their message, which never
 * holds a secret; anything else (a driver's, Node's) is reduced to its code, as its message may
 * quote a connection string or a parameter.
 */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof AuthError) {
    const cause = causeCode(error)
    const message = error.message.replace(/\(run migrate\(\)\)/, '(run `org-auth migrate`)')
    return { code: error.code, message: cause === undefined ? message : `${message} (${cause})` }
  }
  const code = (error as { code?: unknown } | undefined)?.code
  const named = typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? code : undefined
  return {
    code: 'ERR_CLI_FAILURE',
    message: named === undefined ? 'The command failed unexpectedly' : `The command failed (${named})`,
  }
}
