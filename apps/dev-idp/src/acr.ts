/**
 * Authentication context classes of the dev IdP, for step-up tests (RFC 9470): a login is
 * `urn:dev:loa:1` unless the authorization request asks for `urn:dev:loa:2` in `acr_values`, in
 * which case the (pretend) stronger login is made. A session whose `acr` is not among the
 * requested ones is asked to log in again, as a provider enforcing step-up does.
 */
import type { IncomingMessage } from 'node:http'
import type * as Oidc from 'oidc-provider'
import type { Interaction } from 'oidc-provider'
import { DIRECTIVE_HEADERS } from './directives.js'

export const DEV_ACR_VALUES = ['urn:dev:loa:1', 'urn:dev:loa:2'] as const
const BASELINE = DEV_ACR_VALUES[0]

/**
 * The `acr` a login completes with: the `DIRECTIVE_HEADERS.acr` a scripted driver names (to play
 * a provider that ignores `acr_values`), else the first requested value the IdP knows, else the
 * baseline.
 */
export function loginAcr(interaction: Interaction, req?: IncomingMessage): string {
  const forced = req?.headers[DIRECTIVE_HEADERS.acr]
  if (typeof forced === 'string' && forced.length > 0) return forced
  const requested = interaction.params['acr_values']
  if (typeof requested === 'string') {
    const known = requested.split(' ').find((value) => (DEV_ACR_VALUES as readonly string[]).includes(value))
    if (known !== undefined) return known
  }
  return BASELINE
}

/** oidc-provider's default policy plus a login check: requested `acr_values` the session lacks. */
export function interactionPolicy(oidc: typeof Oidc): Oidc.interactionPolicy.Prompt[] {
  const { base, Check } = oidc.interactionPolicy
  const policy = base()
  policy.get('login')?.checks.add(
    new Check('acr_values', 'the requested authentication context class was not obtained', (ctx) => {
      const requested = ctx.oidc.params?.['acr_values']
      if (typeof requested !== 'string' || ctx.oidc.session?.accountId === undefined) {
        return Check.NO_NEED_TO_PROMPT
      }
      if (ctx.oidc.result?.['login'] !== undefined) return Check.NO_NEED_TO_PROMPT
      const acr = ctx.oidc.acr
      return typeof acr === 'string' && requested.split(' ').includes(acr)
        ? Check.NO_NEED_TO_PROMPT
        : Check.REQUEST_PROMPT
    }),
  )
  return policy
}

/**
 * `acr` and `auth_time` of the login behind a token request (its code, refresh token or device
 * code), for the user's access tokens; nothing for a client's own (client_credentials) tokens.
 */
export function loginClaimsOf(ctx: Oidc.KoaContextWithOIDC | undefined): Record<string, unknown> | undefined {
  const entities = ctx?.oidc.entities
  const login = entities?.AuthorizationCode ?? entities?.RefreshToken ?? entities?.DeviceCode
  if (login === undefined) return undefined
  const claims: Record<string, unknown> = {}
  if (typeof login.acr === 'string') claims['acr'] = login.acr
  if (typeof login.authTime === 'number') claims['auth_time'] = login.authTime
  return claims
}
