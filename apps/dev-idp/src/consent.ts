import type { Interaction, InteractionResults } from 'oidc-provider'
import type { ConsentRequest } from './pages.js'
import type { OidcProvider } from './provider.js'

/** The interaction result that sends `error=access_denied` to the client (or onto the device code). */
export const ACCESS_DENIED: InteractionResults = Object.freeze({
  error: 'access_denied',
  error_description: 'End-User denied the authorization request',
})

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** What the consent prompt reports missing: OIDC scopes and resource scopes (what the page lists). */
export function requestedConsent(interaction: Interaction): ConsentRequest {
  const { details } = interaction.prompt
  const resourceScopes: Record<string, string[]> = {}
  const missing = details['missingResourceScopes']
  if (missing && typeof missing === 'object') {
    for (const [indicator, scopes] of Object.entries(missing)) resourceScopes[indicator] = stringList(scopes)
  }
  return { oidcScopes: stringList(details['missingOIDCScope']), resourceScopes }
}

/** Grants everything the consent prompt reports missing: OIDC scopes and claims, and resource scopes. */
export async function grantConsent(provider: OidcProvider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId
  const clientId = interaction.params['client_id']
  if (!accountId || typeof clientId !== 'string') {
    throw new Error('consent prompt without a logged-in account or client_id')
  }
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined
  const grant = existing ?? new provider.Grant({ accountId, clientId })

  const { oidcScopes, resourceScopes } = requestedConsent(interaction)
  if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '))
  const missingClaims = stringList(interaction.prompt.details['missingOIDCClaims'])
  if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims)
  for (const [indicator, scopes] of Object.entries(resourceScopes)) {
    grant.addResourceScope(indicator, scopes.join(' '))
  }
  return grant.save()
}
