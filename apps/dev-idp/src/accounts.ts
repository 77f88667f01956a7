import { timingSafeEqual } from 'node:crypto'
import type { Account, FindAccount } from 'oidc-provider'

/** A fixed dev user for the password and MFA grants. Well-known values: tests and demos only. */
export interface DevUser {
  readonly username: string
  readonly password: string
  /** `sub` of the tokens issued for this user. */
  readonly sub: string
  /** Whether the password grant answers `mfa_required` instead of tokens. */
  readonly mfa: boolean
}

/** Users the password grant knows. Any other `sub` can still log in through the browser flows. */
export const DEV_USERS: readonly DevUser[] = Object.freeze([
  Object.freeze({ username: 'alice', password: 'alice-password', sub: 'alice', mfa: false }),
  Object.freeze({ username: 'mfa-user', password: 'mfa-password', sub: 'mfa-user', mfa: true }),
])

/** The one OTP code the `mfa-otp` grant accepts. */
export const MFA_OTP_CODE = '123456'
/** The one binding code the `mfa-oob` grant accepts. */
export const MFA_OOB_BINDING_CODE = '000000'

/** What `GET /mfa/authenticators` lists for every MFA user, shaped like Auth0's answer. */
export const MFA_AUTHENTICATORS = Object.freeze([
  Object.freeze({ id: 'otp|dev', authenticator_type: 'otp', active: true }),
  Object.freeze({
    id: 'sms|dev',
    authenticator_type: 'oob',
    oob_channel: 'sms',
    active: true,
    name: '+1 555 0100',
  }),
])

/** Constant-time string comparison, so even the dev IdP does not model a timing oracle. */
export function safeEqual(actual: string, expected: string): boolean {
  const a = Buffer.from(actual)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The user with exactly this username and password, if any. */
export function checkPassword(username: string, password: string): DevUser | undefined {
  const user = DEV_USERS.find((candidate) => candidate.username === username)
  return user && safeEqual(password, user.password) ? user : undefined
}

/** Every `sub` is a valid account (login auto-completes), with claims derived from it. */
export const findAccount: FindAccount = (_ctx, sub): Account => ({
  accountId: sub,
  claims: () => ({
    sub,
    email: `${sub}@example.test`,
    email_verified: true,
    name: sub.charAt(0).toUpperCase() + sub.slice(1),
  }),
})
