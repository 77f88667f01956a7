import { DelegationProtocolError } from './errors.js'
import { IDENTIFIER } from './protocol.js'

/** What both ends expect of the claims every message carries. */
export interface EnvelopeExpectations {
  /** Expected `iss`, compared exactly. */
  issuer: string
  /** Expected `aud` (a single string, compared exactly), or `undefined` when `aud` must be absent. */
  audience: string | undefined
  /** Current time, in seconds. */
  now: number
  /** Clock skew tolerated on `iat` and `exp`, in seconds. */
  leeway: number
  /** Longest `exp - iat` accepted, in seconds. */
  maxLifetime: number
}

/** The envelope claims of a message that passed {@link checkEnvelopeClaims}. */
export interface EnvelopeClaims {
  iss: string
  aud: string | undefined
  iat: number
  exp: number
  jti: string
}

function fail(code: string, message: string): DelegationProtocolError {
  return new DelegationProtocolError(code, message)
}

/**
 * Checks `iss`, `aud`, `iat`, `exp` and `jti`, cheapest first. Codes: `ERR_DELEGATION_CLAIMS_INVALID`
 * (missing or mistyped), `ERR_DELEGATION_ISSUER_INVALID`, `ERR_DELEGATION_AUDIENCE_INVALID`,
 * `ERR_DELEGATION_LIFETIME_INVALID`, `ERR_DELEGATION_EXPIRED`, `ERR_DELEGATION_ISSUED_IN_FUTURE`.
 */
export function checkEnvelopeClaims(
  payload: Record<string, unknown>,
  expected: EnvelopeExpectations,
): EnvelopeClaims {
  const { iss, aud, iat, exp, jti } = payload
  if (typeof iss !== 'string') throw fail('ERR_DELEGATION_CLAIMS_INVALID', 'The "iss" claim is missing')
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) {
    throw fail('ERR_DELEGATION_CLAIMS_INVALID', 'The "iat" and "exp" claims must be integers')
  }
  if (typeof jti !== 'string' || !IDENTIFIER.test(jti)) {
    throw fail('ERR_DELEGATION_CLAIMS_INVALID', 'The "jti" claim must be 16 to 128 base64url characters')
  }
  if (iss !== expected.issuer)
    throw fail('ERR_DELEGATION_ISSUER_INVALID', 'The "iss" claim is not the expected one')
  if (aud !== expected.audience) {
    throw fail('ERR_DELEGATION_AUDIENCE_INVALID', 'The "aud" claim is not the expected one')
  }
  const issuedAt = iat as number
  const expiresAt = exp as number
  if (expiresAt <= issuedAt || expiresAt - issuedAt > expected.maxLifetime) {
    throw fail(
      'ERR_DELEGATION_LIFETIME_INVALID',
      `The message lifetime (exp - iat) must be between 1 and ${expected.maxLifetime} seconds`,
    )
  }
  if (expiresAt <= expected.now - expected.leeway)
    throw fail('ERR_DELEGATION_EXPIRED', 'The message has expired')
  if (issuedAt > expected.now + expected.leeway) {
    throw fail('ERR_DELEGATION_ISSUED_IN_FUTURE', 'The message was issued in the future (check clocks)')
  }
  return { iss, aud: aud as string | undefined, iat: issuedAt, exp: expiresAt, jti }
}
