/**
 * The warning a verifier logs when its keys cannot be had: every request that needs a key is then
 * answered 503 with a generic text (clients must not learn the cause), so without a log line the
 * operator sees nothing to act on. Said once per distinct cause (not once per request: a flood of
 * 503s must not become a flood of logs), and again after keys were had and lost anew.
 */
import type { AuthError } from '../errors.js'

/** Receives each warning; the error (with its `cause`) is there for structured logging. */
export type WarningHandler = (message: string, error: AuthError) => void

export interface WarnOncePerCause {
  /** Reports `error` unless its cause was already reported. */
  report(error: AuthError): void
  /** Keys were had again: the next failure is reported, even with a cause seen before. */
  recovered(): void
}

const defaultHandler: WarningHandler = (message) => console.warn(message)

/**
 * A message fit for one log line: URL credentials (`//user:pass@`) masked, and anything but
 * printable ASCII (a remote body quoted by a parse error may hold newlines) replaced.
 */
function printable(message: string): string {
  return message.replace(/\/\/[^/\s@]*@/g, '//***@').replace(/[^\x20-\x7E]/g, '?')
}

/** The messages down the cause chain (each once, bounded): together they name the values to compare. */
function causeChain(error: AuthError): { codes: string; detail: string } {
  const codes: string[] = []
  const messages: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
    const message = printable(current.message.slice(0, 300))
    if (!messages.some((seen) => seen.includes(message))) messages.push(message)
    current = current.cause
  }
  return { codes: codes.join(' < '), detail: messages.join(': ') }
}

/** The warner of one verifier for `issuer`; `false` turns it off, `undefined` logs with `console.warn`. */
export function warnOncePerCause(
  handler: WarningHandler | false | undefined,
  issuer: string,
): WarnOncePerCause {
  if (handler === false) return { report() {}, recovered() {} }
  const warn = handler ?? defaultHandler
  let lastCause: string | undefined
  return {
    report(error) {
      const { codes, detail } = causeChain(error)
      const cause = `${codes} ${detail}`
      if (cause === lastCause) return
      lastCause = cause
      warn(
        `@org/auth-core: no verification keys for issuer ${JSON.stringify(printable(issuer))} (${codes}): ${detail}. Requests that need a key are answered 503 until this is fixed; said once per cause.`,
        error,
      )
    },
    recovered() {
      lastCause = undefined
    },
  }
}
