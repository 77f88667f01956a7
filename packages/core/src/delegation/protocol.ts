/**
 * Constants of the delegation wire protocol (docs/delegation-protocol.md). Both ends import them,
 * so a client and a reference identity provider cannot drift apart.
 */

/** The values of `MfaMethod`, as sent on the wire. */
export const MfaMethod = { Email: 'email', Sms: 'sms', Totp: 'totp' } as const
export type MfaMethod = (typeof MfaMethod)[keyof typeof MfaMethod]

/** True for one of the {@link MfaMethod} values. */
export function isMfaMethod(value: unknown): value is MfaMethod {
  return value === MfaMethod.Email || value === MfaMethod.Sms || value === MfaMethod.Totp
}

/** Operation paths, appended to the identity provider's base URL. Every operation is a POST. */
export const DELEGATION_PATHS = {
  initiateMfaChange: '/v1/mfa/initiate',
  verifyMfaChange: '/v1/mfa/verify',
  getUserCredentials: '/v1/credentials',
} as const
export type DelegationOperation = keyof typeof DELEGATION_PATHS

/** Media type of every request and response body: a compact JWE, or a compact JWS for some errors. */
export const DELEGATION_CONTENT_TYPE = 'application/jose'

/** JWS `typ` of a signed request, and of a signed response. Distinct, so one cannot pass for the other. */
export const REQUEST_TYPE = 'delegation-request+jwt'
export const RESPONSE_TYPE = 'delegation-response+jwt'

/** The only key management and content encryption algorithms: no negotiation, so no downgrade. */
export const KEY_MANAGEMENT_ALGORITHM = 'ECDH-ES+A256KW'
export const CONTENT_ENCRYPTION_ALGORITHM = 'A256GCM'
/** JWS algorithm written; `Ed25519` (RFC 9864's fully specified name) is accepted too. */
export const SIGNATURE_ALGORITHM = 'EdDSA'
export const ACCEPTED_SIGNATURE_ALGORITHMS: readonly string[] = ['EdDSA', 'Ed25519']

/** `jti` and `session_id`: 16 to 128 base64url characters (the senders use 32 random bytes). */
export const IDENTIFIER = /^[A-Za-z0-9_-]{16,128}$/

/** A one-time code as users type it. */
export const OTP_PATTERN = /^\d{6}$/

/** Largest request or response body, in bytes. Real messages are under 4 KiB. */
export const MAX_MESSAGE_BYTES = 64 * 1024

// Random bytes drawn 2 KiB at a time and each handed out once: a token server makes a `jti` per
// token, and one `getRandomValues` call per identifier cost more than the encoding around it.
const POOL_BYTES = 2048
const pool = new Uint8Array(POOL_BYTES)
let poolOffset = POOL_BYTES

/** A random identifier for `jti` and sessions: 32 bytes, base64url. */
export function randomIdentifier(): string {
  if (poolOffset + 32 > POOL_BYTES) {
    crypto.getRandomValues(pool)
    poolOffset = 0
  }
  let binary = ''
  for (let i = poolOffset; i < poolOffset + 32; i++) binary += String.fromCharCode(pool[i] as number)
  poolOffset += 32
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
