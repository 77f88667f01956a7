import type { ScopeInput } from './grants.js'
import type { TokenContext } from './token-request.js'
import type { TokenSet } from './token-set.js'

/** Where Auth0-style password-MFA lives (not in RFC 8414 metadata). */
export interface MfaContext extends TokenContext {
  readonly mfaEndpoints: { readonly authenticators: string; readonly challenge: string }
}

/** One enrolled authenticator (Auth0 `GET /mfa/authenticators`). */
export interface MfaAuthenticator {
  id: string
  /** `otp`, `oob`, `recovery-code`... */
  authenticatorType: string
  active: boolean
  name?: string
  /** For `oob`: `sms`, `voice`, `email`, `auth0`. */
  oobChannel?: string
}

/** The answer to `POST /mfa/challenge`. */
export interface MfaChallenge {
  challengeType: 'otp' | 'oob'
  /** For `oob`: pass to `mfaOobComplete`. A secret. */
  oobCode?: string
  /** For `oob`: `prompt` means the user types a binding code shown on the other channel. */
  bindingMethod?: string
}

export async function mfaAuthenticators(_ctx: MfaContext, _mfaToken: string): Promise<MfaAuthenticator[]> {
  throw new Error('mfaAuthenticators: being written')
}

export async function mfaChallenge(
  _ctx: MfaContext,
  _mfaToken: string,
  _challengeType: 'otp' | 'oob',
  _authenticatorId: string | undefined,
): Promise<MfaChallenge> {
  throw new Error('mfaChallenge: being written')
}

export async function mfaOtpComplete(
  _ctx: MfaContext,
  _mfaToken: string,
  _otp: string,
  _scope: ScopeInput,
): Promise<TokenSet> {
  throw new Error('mfaOtpComplete: being written')
}

export async function mfaOobComplete(
  _ctx: MfaContext,
  _mfaToken: string,
  _oobCode: string,
  _bindingCode: string | undefined,
  _scope: ScopeInput,
): Promise<TokenSet> {
  throw new Error('mfaOobComplete: being written')
}
