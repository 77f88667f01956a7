/**
 * Errors of the MFA delegation protocol. All are `AuthError`s with stable codes; none carries an
 * OTP, a key, a TOTP secret or a raw message body.
 */
import { AuthError, type AuthErrorOptions, nameErrorClass } from '../errors.js'

/**
 * A value passed to a `DelegationClient` method is invalid (a phone number that is not E.164, an
 * OTP that is not six digits...). Nothing was sent. `field` names the parameter.
 */
export class DelegationInputError extends AuthError {
  static {
    nameErrorClass(DelegationInputError, 'DelegationInputError')
  }
  static override captureStack = false
  /** The parameter at fault, e.g. `phoneNumber`. */
  readonly field: string
  constructor(code: string, field: string, message: string) {
    super(code, message, 400)
    this.field = field
  }
}

/**
 * A delegation message (a request at the identity provider, an answer at the client) failed a
 * protocol check: it is malformed, uses a forbidden algorithm or header, does not decrypt, is not
 * signed by a pinned key, carries wrong claims, or is not bound to the request. Its content is
 * never used. The client throws it with status 502 (the upstream answer is unusable).
 */
export class DelegationProtocolError extends AuthError {
  static {
    nameErrorClass(DelegationProtocolError, 'DelegationProtocolError')
  }
  static override captureStack = false
  constructor(code: string, message: string, options?: AuthErrorOptions) {
    super(code, message, 502, undefined, options)
  }
}

/** A private key option (PKCS#8 PEM or JWK) is malformed, public, or of the wrong curve. */
export class InvalidPrivateKeyError extends AuthError {
  static {
    nameErrorClass(InvalidPrivateKeyError, 'InvalidPrivateKeyError')
  }
  constructor(message: string, options?: AuthErrorOptions) {
    super('ERR_INVALID_PRIVATE_KEY', message, 500, undefined, options)
  }
}

/** Wire `error` values and the codes, statuses and messages a client turns them into. */
const REFUSALS: Record<string, readonly [code: string, status: number, message: string]> = {
  invalid_message: [
    'ERR_DELEGATION_MESSAGE_REJECTED',
    502,
    'The identity provider could not read the request (encryption, headers or format)',
  ],
  unauthorized: [
    'ERR_DELEGATION_UNAUTHORIZED',
    502,
    'The identity provider does not accept the request signature (unknown or unregistered key)',
  ],
  invalid_claims: [
    'ERR_DELEGATION_CLAIMS_REJECTED',
    502,
    'The identity provider rejected the request claims (audience, method or URL)',
  ],
  stale_request: [
    'ERR_DELEGATION_REQUEST_STALE',
    502,
    'The identity provider rejected the request time (expired or issued in the future; check clocks)',
  ],
  replayed_request: ['ERR_DELEGATION_REPLAYED', 502, 'The identity provider has already seen this request'],
  invalid_params: ['ERR_DELEGATION_PARAMS_INVALID', 400, 'The identity provider rejected the parameters'],
  method_unsupported: [
    'ERR_MFA_METHOD_UNSUPPORTED',
    400,
    'The identity provider does not offer this MFA method',
  ],
  delivery_failed: ['ERR_OTP_DELIVERY_FAILED', 502, 'The identity provider could not deliver the code'],
  session_expired: ['ERR_SESSION_EXPIRED', 400, 'The MFA change session has expired or does not exist'],
  otp_invalid: ['ERR_OTP_INVALID', 400, 'The one-time code is not valid'],
  too_many_attempts: [
    'ERR_TOO_MANY_ATTEMPTS',
    429,
    'Too many wrong codes: the MFA change session is closed; start again',
  ],
  not_found: ['ERR_DELEGATION_NOT_FOUND', 502, 'The identity provider has no such delegation endpoint'],
  server_error: ['ERR_DELEGATION_SERVER_ERROR', 502, 'The identity provider failed to process the request'],
  temporarily_unavailable: [
    'ERR_DELEGATION_UNAVAILABLE',
    503,
    'The identity provider is temporarily unable to process the request',
  ],
}

const WIRE_ERROR = /^[a-z][a-z0-9_]{0,63}$/

function refusalOf(error: string): readonly [code: string, status: number, message: string] {
  // `hasOwn`: a wire value such as "constructor" must not find Object.prototype members.
  const known = WIRE_ERROR.test(error) && Object.hasOwn(REFUSALS, error) ? REFUSALS[error] : undefined
  const shown = WIRE_ERROR.test(error) ? error : 'unknown'
  return known ?? ['ERR_DELEGATION_REFUSED', 502, `The identity provider refused the request ("${shown}")`]
}

/** The stable code a client reports for a wire `error` value (`otp_invalid` → `ERR_OTP_INVALID`). */
export function delegationErrorCode(error: string): string {
  return refusalOf(error)[0]
}

/** The wire `error` values this version of the protocol defines. */
export const DELEGATION_WIRE_ERRORS: readonly string[] = Object.keys(REFUSALS)

/**
 * The identity provider refused the request, in an answer that is signed by its pinned key and
 * bound to the request, so the refusal is authentic. `code` is stable (`ERR_OTP_INVALID`,
 * `ERR_SESSION_EXPIRED`, `ERR_TOO_MANY_ATTEMPTS`...); `error` is the wire value it came from.
 */
export class DelegationRefusedError extends AuthError {
  static {
    nameErrorClass(DelegationRefusedError, 'DelegationRefusedError')
  }
  static override captureStack = false
  /** The protocol's `error` value (`otp_invalid`...), or `unknown` for a value outside the grammar. */
  readonly error: string
  /** Wrong codes still accepted in this session, when the provider says so (`otp_invalid`). */
  readonly attemptsRemaining: number | undefined
  constructor(error: string, attemptsRemaining?: number) {
    const [code, status, message] = refusalOf(error)
    super(code, message, status)
    this.error = WIRE_ERROR.test(error) ? error : 'unknown'
    this.attemptsRemaining = attemptsRemaining
  }
}
