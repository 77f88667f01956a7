import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Interaction } from 'oidc-provider'
import type { OidcProvider } from './provider.js'
import { sendJson } from './server.js'

/** Account logged in when the authorization request carries no `login_hint`. */
export const DEFAULT_SUB = 'alice'

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/**
 * Request headers by which the user-side drivers (authorize(), approveDevice()) steer one
 * interaction. Headers travel with that driver's own requests only, so concurrent flows cannot
 * pick up each other's choices, and a real browser (demo) simply never sends them.
 */
export const DIRECTIVE_HEADERS = {
  /** Account to log in, overriding `login_hint`. */
  sub: 'x-dev-idp-sub',
  /** '1': refuse consent (access_denied) instead of granting it. */
  deny: 'x-dev-idp-deny',
} as const

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function requestedSub(req: IncomingMessage, interaction: Interaction): string {
  const hint = interaction.params['login_hint']
  return (
    header(req, DIRECTIVE_HEADERS.sub) ?? (typeof hint === 'string' && hint.length > 0 ? hint : DEFAULT_SUB)
  )
}

/** Grants everything the consent prompt reports missing: OIDC scopes and claims, and resource scopes. */
async function grantConsent(provider: OidcProvider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId
  const clientId = interaction.params['client_id']
  if (!accountId || typeof clientId !== 'string') {
    throw new Error('consent prompt without a logged-in account or client_id')
  }
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined
  const grant = existing ?? new provider.Grant({ accountId, clientId })

  const { details } = interaction.prompt
  const missingScope = stringList(details['missingOIDCScope'])
  if (missingScope.length > 0) grant.addOIDCScope(missingScope.join(' '))
  const missingClaims = stringList(details['missingOIDCClaims'])
  if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims)
  const missingResourceScopes = details['missingResourceScopes']
  if (missingResourceScopes && typeof missingResourceScopes === 'object') {
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      grant.addResourceScope(indicator, stringList(scopes).join(' '))
    }
  }
  return grant.save()
}

/**
 * Handles `/interaction/:uid`: an auto-completing login (as the DIRECTIVE_HEADERS.sub account, else
 * the `login_hint` one, default 'alice') and consent to everything requested, unless
 * DIRECTIVE_HEADERS.deny refuses it. No HTML, no user input: for tests and demos only.
 */
export function createInteractionHandler(getProvider: () => OidcProvider) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const provider = getProvider()
    let interaction: Interaction
    try {
      interaction = await provider.interactionDetails(req, res)
    } catch (error) {
      sendJson(res, 400, { error: 'invalid_request', error_description: describe(error) })
      return
    }
    try {
      switch (interaction.prompt.name) {
        case 'login':
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: requestedSub(req, interaction) } },
            { mergeWithLastSubmission: false },
          )
          return
        case 'consent': {
          if (header(req, DIRECTIVE_HEADERS.deny) === '1') {
            // The error travels back to the client's redirect URI (or onto the device code).
            await provider.interactionFinished(
              req,
              res,
              { error: 'access_denied', error_description: 'End-User denied the authorization request' },
              { mergeWithLastSubmission: false },
            )
            return
          }
          const grantId = await grantConsent(provider, interaction)
          await provider.interactionFinished(
            req,
            res,
            { consent: { grantId } },
            { mergeWithLastSubmission: true },
          )
          return
        }
        default:
          sendJson(res, 400, {
            error: 'unsupported_prompt',
            error_description: `dev-idp cannot complete the '${interaction.prompt.name}' prompt`,
          })
      }
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: describe(error) })
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
