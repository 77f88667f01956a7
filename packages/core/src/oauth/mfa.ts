import { RemoteResponseError } from '../errors.js'
import { callEndpoint, callEndpointJson } from './back-channel.js'
import { type ScopeInput, scopeParam } from './grants.js'
import { requestTokens, type TokenContext } from './token-request.js'
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

/** Auth0's grant types completing a password login that answered `mfa_required`. */
export const MFA_OTP_GRANT = 'http://auth0.com/oauth/grant-type/mfa-otp'
export const MFA_OOB_GRANT = 'http://auth0.com/oauth/grant-type/mfa-oob'

function invalid(message: string): RemoteResponseError {
  return new RemoteResponseError('ERR_MFA_RESPONSE_INVALID', message)
}

function optionalString(entry: Record<string, unknown>, name: string, what: string): string | undefined {
  const value = entry[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalid(`${what} "${name}" is not a string`)
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * One list entry. A malformed one rejects the whole answer rather than being skipped: a client
 * that silently lost an authenticator would offer the user the wrong second factors.
 */
function parseAuthenticator(entry: unknown): MfaAuthenticator {
  const what = 'An MFA authenticator'
  if (!isRecord(entry)) throw invalid(`${what} is not an object`)
  const id = entry['id']
  const type = entry['authenticator_type']
  if (typeof id !== 'string' || id.length === 0) throw invalid(`${what} has no "id" string`)
  if (typeof type !== 'string' || type.length === 0) {
    throw invalid(`${what} has no "authenticator_type" string`)
  }
  if (typeof entry['active'] !== 'boolean') throw invalid(`${what} has no "active" boolean`)
  const authenticator: MfaAuthenticator = { id, authenticatorType: type, active: entry['active'] }
  const name = optionalString(entry, 'name', what)
  if (name !== undefined) authenticator.name = name
  const oobChannel = optionalString(entry, 'oob_channel', what)
  if (oobChannel !== undefined) authenticator.oobChannel = oobChannel
  return authenticator
}

/**
 * `GET` the authenticators endpoint with `Authorization: Bearer <mfaToken>`. Auth0 answers a JSON
 * array; anything else, or a malformed entry, rejects with `ERR_MFA_RESPONSE_INVALID`. A refused
 * token rejects with `OAuthExchangeError` (Auth0: `invalid_token` or `unauthorized`).
 */
export async function mfaAuthenticators(ctx: MfaContext, mfaToken: string): Promise<MfaAuthenticator[]> {
  const json = await callEndpointJson(ctx, {
    url: ctx.mfaEndpoints.authenticators,
    what: 'The MFA authenticators endpoint',
    method: 'GET',
    bearer: mfaToken,
  })
  if (!Array.isArray(json)) throw invalid('The MFA authenticators endpoint did not answer a list')
  return json.map(parseAuthenticator)
}

/**
 * `POST` the challenge endpoint with client authentication, `mfa_token`, `challenge_type` and,
 * when given, `authenticator_id`. The answer must be a challenge of the type asked for; an `oob`
 * one must carry its `oob_code`. Otherwise `ERR_MFA_RESPONSE_INVALID`.
 */
export async function mfaChallenge(
  ctx: MfaContext,
  mfaToken: string,
  challengeType: 'otp' | 'oob',
  authenticatorId: string | undefined,
): Promise<MfaChallenge> {
  const body = await callEndpoint(ctx, {
    url: ctx.mfaEndpoints.challenge,
    what: 'The MFA challenge endpoint',
    params: { mfa_token: mfaToken, challenge_type: challengeType, authenticator_id: authenticatorId },
  })
  const what = 'The MFA challenge response'
  if (body['challenge_type'] !== challengeType) {
    throw invalid(`${what} is not the "${challengeType}" challenge asked for`)
  }
  const challenge: MfaChallenge = { challengeType }
  if (challengeType === 'oob') {
    const oobCode = optionalString(body, 'oob_code', what)
    if (oobCode === undefined || oobCode.length === 0) throw invalid(`${what} has no "oob_code"`)
    challenge.oobCode = oobCode
    const bindingMethod = optionalString(body, 'binding_method', what)
    if (bindingMethod !== undefined) challenge.bindingMethod = bindingMethod
  }
  return challenge
}

/** Completes the login with the one-time password the user typed (Auth0's `mfa-otp` grant). */
export function mfaOtpComplete(
  ctx: MfaContext,
  mfaToken: string,
  otp: string,
  scope: ScopeInput,
): Promise<TokenSet> {
  return requestTokens(ctx, { grant_type: MFA_OTP_GRANT, mfa_token: mfaToken, otp, scope: scopeParam(scope) })
}

/**
 * Completes an out-of-band challenge (Auth0's `mfa-oob` grant), with the binding code when the
 * challenge's `bindingMethod` was `prompt`. While the user has not confirmed on the other channel
 * (a push not yet accepted), this rejects with `OAuthExchangeError` whose `error` is
 * `authorization_pending` (or `slow_down`): the caller waits a few seconds and calls again with
 * the same values. Nothing here polls, so the caller decides how long the user may take.
 */
export function mfaOobComplete(
  ctx: MfaContext,
  mfaToken: string,
  oobCode: string,
  bindingCode: string | undefined,
  scope: ScopeInput,
): Promise<TokenSet> {
  return requestTokens(ctx, {
    grant_type: MFA_OOB_GRANT,
    mfa_token: mfaToken,
    oob_code: oobCode,
    binding_code: bindingCode,
    scope: scopeParam(scope),
  })
}
