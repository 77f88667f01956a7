import { checkPassword } from '../accounts.js'
import { GRANT_TYPES } from '../clients.js'
import { type GrantContext, issueUserTokens, type ResourceServerInfo, reply } from './issue.js'
import { type MfaState, mfaOobHandler, mfaOtpHandler } from './mfa.js'

/** Auth0 names the API `audience`; RFC 8707 calls it `resource`. Both are accepted. */
function requestedResource(ctx: GrantContext): string | undefined {
  const value = ctx.oidc.params['resource'] ?? ctx.oidc.params['audience']
  return typeof value === 'string' ? value : undefined
}

/**
 * `grant_type=password` (RFC 6749 §4.3) with Auth0's MFA behaviour: DEV_USERS only; a user with
 * `mfa: true` gets 403 `mfa_required` and an mfa_token instead of tokens.
 */
export function passwordHandler(resourceServerInfo: ResourceServerInfo, mfa: MfaState) {
  return async (ctx: GrantContext): Promise<void> => {
    const { username, password } = ctx.oidc.params
    if (!username || !password) {
      return reply(ctx, 400, {
        error: 'invalid_request',
        error_description: 'username and password are required',
      })
    }
    const resource = requestedResource(ctx)
    if (resource !== undefined && !URL.canParse(resource)) {
      return reply(ctx, 400, {
        error: 'invalid_target',
        error_description: 'resource must be an absolute URI',
      })
    }
    const user = checkPassword(username, password)
    if (!user)
      return reply(ctx, 400, { error: 'invalid_grant', error_description: 'Wrong email or password.' })

    const scope = ctx.oidc.params['scope'] ?? ''
    if (user.mfa) {
      const mfaToken = mfa.start({ sub: user.sub, clientId: ctx.oidc.client.clientId, scope, resource })
      return reply(ctx, 403, {
        error: 'mfa_required',
        error_description: 'Multifactor authentication required',
        mfa_token: mfaToken,
      })
    }
    ctx.body = await issueUserTokens(ctx, resourceServerInfo, {
      accountId: user.sub,
      scope,
      resource,
      gty: GRANT_TYPES.password,
      amr: ['pwd'],
    })
  }
}

/** The subset of the Provider API the registration needs (keeps this module free of the full type). */
interface GrantRegistry {
  registerGrantType(
    name: string,
    handler: (ctx: GrantContext) => Promise<void>,
    params?: readonly string[],
  ): void
}

/**
 * Registers the password and Auth0 MFA grants. oidc-provider then authenticates the client and
 * checks the grant type is in its `grant_types` before calling the handler; only the listed
 * parameters reach `ctx.oidc.params`.
 */
export function registerUserGrants(
  provider: GrantRegistry,
  resourceServerInfo: ResourceServerInfo,
  mfa: MfaState,
): void {
  provider.registerGrantType(GRANT_TYPES.password, passwordHandler(resourceServerInfo, mfa), [
    'username',
    'password',
    'scope',
    'audience',
    'resource',
  ])
  provider.registerGrantType(GRANT_TYPES.mfaOtp, mfaOtpHandler(resourceServerInfo, mfa, GRANT_TYPES.mfaOtp), [
    'mfa_token',
    'otp',
  ])
  provider.registerGrantType(GRANT_TYPES.mfaOob, mfaOobHandler(resourceServerInfo, mfa, GRANT_TYPES.mfaOob), [
    'mfa_token',
    'oob_code',
    'binding_code',
  ])
}
