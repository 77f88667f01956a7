import type { ResourceServer, TokenEndpointGrantContext } from 'oidc-provider'
import { findAccount } from '../accounts.js'

/** Scopes oidc-provider itself knows (configuration.scopes); everything else is a resource scope. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'email', 'profile'])

/** What a user-based custom grant (password, mfa-otp, mfa-oob) decided to issue tokens for. */
export interface UserTokenRequest {
  accountId: string
  /** Space-separated scope as requested with the password grant. */
  scope: string
  /** Resource indicator / Auth0 `audience`: the access token becomes a JWT for it. */
  resource: string | undefined
  /** Grant type recorded on the tokens (oidc-provider's `gty`). */
  gty: string
  /** Authentication methods (RFC 8176) for the ID token's `amr`. */
  amr: string[]
}

export type ResourceServerInfo = (audience: string) => ResourceServer

/** Minimal grant-handler context: what every custom grant handler here receives. */
export type GrantContext = TokenEndpointGrantContext<Record<string, string | undefined>>

/** Answers the token request directly, for bodies and statuses oidc-provider's errors cannot express. */
export function reply(ctx: GrantContext, status: number, body: Record<string, unknown>): void {
  ctx.status = status
  ctx.body = body
}

/**
 * Mints tokens the way oidc-provider's built-in grants do (see lib/helpers/grant_common.js): a
 * saved Grant holding the consented scopes, an AccessToken (JWT for a resource, else opaque and
 * usable at userinfo), a RefreshToken for `offline_access` when the client may refresh, and an
 * ID token for `openid`. Using the provider's own models keeps refresh, introspection,
 * revocation and userinfo working on these tokens unchanged.
 */
export async function issueUserTokens(
  ctx: GrantContext,
  resourceServerInfo: ResourceServerInfo,
  request: UserTokenRequest,
): Promise<Record<string, unknown>> {
  const { provider, client } = ctx.oidc
  const { accountId, resource, gty, amr } = request
  const requested = request.scope.split(' ').filter(Boolean)
  const oidcScope = requested.filter((scope) => OIDC_SCOPES.has(scope))
  const info = resource ? resourceServerInfo(resource) : undefined
  const resourceScopes = new Set(info?.scope.split(' ') ?? [])
  const apiScope = requested.filter((scope) => resourceScopes.has(scope))

  const grant = new provider.Grant({ accountId, clientId: client.clientId })
  if (oidcScope.length > 0) grant.addOIDCScope(oidcScope.join(' '))
  if (resource && apiScope.length > 0) grant.addResourceScope(resource, apiScope.join(' '))
  const grantId = await grant.save()

  const account = await findAccount(ctx, accountId)
  if (!account) throw new Error(`dev-idp: account ${accountId} not found`)
  ctx.oidc.entity('Account', account)
  ctx.oidc.entity('Grant', grant)

  const at = new provider.AccessToken({ client, accountId, grantId, gty })
  if (resource && info) {
    at.resourceServer = new provider.ResourceServer(resource, info)
    at.scope = apiScope.join(' ') || undefined
  } else {
    at.scope = oidcScope.join(' ') || undefined
  }
  ctx.oidc.entity('AccessToken', at)
  const accessToken = await at.save()
  const authTime = Math.floor(Date.now() / 1000)
  // The refresh token keeps the whole requested scope, like a code flow's does, so a refresh
  // re-derives both the API scopes and the OIDC scopes from the grant.
  const scope = [...oidcScope, ...apiScope].join(' ')

  const body: Record<string, unknown> = {
    access_token: accessToken,
    expires_in: at.expiration,
    token_type: at.tokenType,
    scope: at.scope,
  }

  if (oidcScope.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
    const rt = new provider.RefreshToken({
      client,
      accountId,
      grantId,
      gty,
      scope,
      amr,
      authTime,
      resource,
      rotations: 0,
    })
    ctx.oidc.entity('RefreshToken', rt)
    body['refresh_token'] = await rt.save()
  }

  if (oidcScope.includes('openid')) {
    const claims = await account.claims('id_token', oidcScope.join(' '), {}, [])
    const idToken = new provider.IdToken({ ...claims, sub: accountId }, { ctx })
    // The scope selects which account claims (email, name) go in, as in the built-in grants;
    // `set` adds claims past that filter (amr and auth_time are not scope claims).
    Object.assign(idToken, { scope: oidcScope.join(' ') })
    idToken.set('amr', amr)
    idToken.set('auth_time', authTime)
    body['id_token'] = await idToken.issue({ use: 'idtoken' })
  }
  return body
}
