/**
 * Validation of the values a caller passes to the delegation client; the reference identity
 * provider runs the same checks on what it receives. Unknown shapes are rejected, never repaired:
 * "+1 (555) 123" is not turned into "+1555123".
 */
import { DelegationInputError } from './errors.js'
import { IDENTIFIER, isMfaMethod, MfaMethod, OTP_PATTERN } from './protocol.js'

const E164 = /^\+[1-9]\d{1,14}$/
// RFC 5322 dot-atom local part and an LDH domain with an alphabetic or punycode TLD. Quoted local
// parts, comments, IP literals and raw Unicode domains are refused (pass IDNs as punycode).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
// A lone UTF-16 surrogate: valid in a JSON string ("\ud800"), but not text. encodeURIComponent
// throws on it (the IdP's otpauth URI), and UTF-8 stores (PostgreSQL text) refuse it.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * A user id: 1–256 characters of well-formed text (no lone surrogate), no control characters, no
 * surrounding whitespace. Compared exactly.
 */
export function checkUserId(value: unknown, field = 'userId'): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 256 ||
    value.trim() !== value ||
    CONTROL.test(value) ||
    LONE_SURROGATE.test(value)
  ) {
    throw new DelegationInputError(
      'ERR_USER_ID_INVALID',
      field,
      `"${field}" must be 1 to 256 characters without control characters or surrounding spaces`,
    )
  }
  return value
}

/**
 * An email address, NFKC-normalised first (full-width "ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ" becomes ASCII),
 * the domain lower-cased. Returns the normalised address.
 */
export function normalizeEmail(value: unknown, field = 'email'): string {
  const invalid = () =>
    new DelegationInputError('ERR_EMAIL_INVALID', field, `"${field}" is not a valid email address`)
  if (typeof value !== 'string' || value.length > 1024) throw invalid()
  const email = value.normalize('NFKC')
  const at = email.lastIndexOf('@')
  if (email.length > 254 || at < 1 || at > 64) throw invalid()
  const local = email.slice(0, at)
  const domain = email.slice(at + 1).toLowerCase()
  if (domain.length > 253 || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) throw invalid()
  return `${local}@${domain}`
}

/** A phone number in E.164 form (`+` and 2–15 digits, no spaces), NFKC-normalised first. */
export function normalizePhoneNumber(value: unknown, field = 'phoneNumber'): string {
  const phone = typeof value === 'string' && value.length <= 64 ? value.normalize('NFKC') : undefined
  if (phone === undefined || !E164.test(phone)) {
    throw new DelegationInputError(
      'ERR_PHONE_NUMBER_INVALID',
      field,
      `"${field}" must be an E.164 number such as +15551234567`,
    )
  }
  return phone
}

/** A one-time code: exactly six ASCII digits. */
export function checkOtp(value: unknown, field = 'otp'): string {
  if (typeof value !== 'string' || !OTP_PATTERN.test(value)) {
    throw new DelegationInputError('ERR_OTP_MALFORMED', field, `"${field}" must be exactly six digits`)
  }
  return value
}

/** A session id as the identity provider issued it. */
export function checkSessionId(value: unknown, field = 'sessionId'): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new DelegationInputError(
      'ERR_SESSION_ID_INVALID',
      field,
      `"${field}" must be the session id the identity provider returned`,
    )
  }
  return value
}

/** The parameters of an MFA change, checked together: each method takes exactly its destination. */
export interface MfaChangeTarget {
  method: MfaMethod
  email?: string | undefined
  phoneNumber?: string | undefined
}

/** Validates a method with its destination; returns the normalised destination. */
export function checkMfaChangeTarget(target: MfaChangeTarget): MfaChangeTarget {
  const { method, email, phoneNumber } = target
  if (!isMfaMethod(method)) {
    throw new DelegationInputError('ERR_MFA_METHOD_INVALID', 'method', '"method" must be a MfaMethod value')
  }
  const extra = (field: string) =>
    new DelegationInputError(
      'ERR_MFA_TARGET_INVALID',
      field,
      `"${field}" does not apply to method "${method}"`,
    )
  if (method === MfaMethod.Email) {
    if (phoneNumber !== undefined) throw extra('phoneNumber')
    return { method, email: normalizeEmail(email) }
  }
  if (method === MfaMethod.Sms) {
    if (email !== undefined) throw extra('email')
    return { method, phoneNumber: normalizePhoneNumber(phoneNumber) }
  }
  if (email !== undefined) throw extra('email')
  if (phoneNumber !== undefined) throw extra('phoneNumber')
  return { method }
}
