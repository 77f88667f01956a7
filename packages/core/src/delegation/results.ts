/**
 * The results of the delegation operations, read strictly from a verified `result` object: a
 * field of the wrong type is a protocol error, not a value to guess at.
 */
import { DelegationProtocolError } from './errors.js'
import { IDENTIFIER, isMfaMethod, type MfaMethod } from './protocol.js'

/** An MFA change waiting for its one-time code. */
export interface MfaChangeSession {
  /** Pass to `verifyMfaChange`. Opaque. */
  sessionId: string
  method: MfaMethod
  /** When the session (and its code) stops being accepted. */
  expiresAt: Date
  /**
   * TOTP enrolment only: the `otpauth://` URI to show as a QR code, and the same base32 secret for
   * manual entry. Secret: show it to the user once; never log or store it.
   */
  totp?: { otpauthUri: string; secret: string }
}

/** A user's MFA state at the identity provider. Never includes a TOTP secret. */
export interface UserCredentials {
  userId: string
  /** The active method, or `null` when the user has none. */
  mfaMethod: MfaMethod | null
  /** The address codes go to, for the email method. */
  email: string | null
  /** The E.164 number codes go to, for the SMS method. */
  phoneNumber: string | null
  /** When the method last changed, or `null` when never. */
  updatedAt: Date | null
}

function malformed(field: string): DelegationProtocolError {
  return new DelegationProtocolError(
    'ERR_DELEGATION_MALFORMED',
    `The answer's "${field}" is missing or invalid`,
  )
}

// ECMAScript Dates end at 8.64e15 ms: a later instant is an Invalid Date, whose methods throw.
const MAX_DATE_SECONDS = 8_640_000_000_000

function seconds(value: unknown, field: string): Date {
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_DATE_SECONDS) {
    throw malformed(field)
  }
  return new Date((value as number) * 1000)
}

function nullableString(value: unknown, field: string): string | null {
  if (value === null) return null
  if (typeof value !== 'string' || value.length > 1024) throw malformed(field)
  return value
}

/** Reads the result of `initiateMfaChange`, which must be for the requested method. */
export function readMfaChangeSession(result: Record<string, unknown>, method: MfaMethod): MfaChangeSession {
  const sessionId = result['session_id']
  if (typeof sessionId !== 'string' || !IDENTIFIER.test(sessionId)) throw malformed('session_id')
  if (result['method'] !== method) throw malformed('method')
  const session: MfaChangeSession = {
    sessionId,
    method,
    expiresAt: seconds(result['expires_at'], 'expires_at'),
  }
  const totp = result['totp']
  if (method !== 'totp') {
    if (totp !== undefined) throw malformed('totp')
    return session
  }
  if (typeof totp !== 'object' || totp === null) throw malformed('totp')
  const { otpauth_uri: otpauthUri, secret } = totp as Record<string, unknown>
  if (
    typeof otpauthUri !== 'string' ||
    !otpauthUri.startsWith('otpauth://totp/') ||
    otpauthUri.length > 2048
  ) {
    throw malformed('totp.otpauth_uri')
  }
  if (typeof secret !== 'string' || !/^[A-Z2-7]{16,128}$/.test(secret)) throw malformed('totp.secret')
  return { ...session, totp: { otpauthUri, secret } }
}

/** Reads a credentials result, which must be about the requested user. */
export function readUserCredentials(result: Record<string, unknown>, userId: string): UserCredentials {
  if (result['user_id'] !== userId) throw malformed('user_id')
  const method = result['mfa_method']
  if (method !== null && !isMfaMethod(method)) throw malformed('mfa_method')
  const updatedAt = result['updated_at']
  return {
    userId,
    mfaMethod: method,
    email: nullableString(result['email'], 'email'),
    phoneNumber: nullableString(result['phone_number'], 'phone_number'),
    updatedAt: updatedAt === null ? null : seconds(updatedAt, 'updated_at'),
  }
}
