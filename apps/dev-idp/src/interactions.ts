import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Interaction } from 'oidc-provider'
import { loginAcr } from './acr.js'
import { ACCESS_DENIED, grantConsent } from './consent.js'
import { DIRECTIVE_HEADERS } from './directives.js'
import { handleInteractionPage } from './interaction-pages.js'
import { errorPage, sendHtml } from './pages.js'
import { INTERACTION_PATH, type OidcProvider } from './provider.js'
import { sendJson } from './server.js'

/** Account logged in by the scripted drivers when the authorization request carries no `login_hint`. */
export const DEFAULT_SUB = 'alice'

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function isScripted(req: IncomingMessage): boolean {
  return Object.values(DIRECTIVE_HEADERS).some((name) => header(req, name) !== undefined)
}

function requestedSub(req: IncomingMessage, interaction: Interaction): string {
  const hint = interaction.params['login_hint']
  return (
    header(req, DIRECTIVE_HEADERS.sub) ?? (typeof hint === 'string' && hint.length > 0 ? hint : DEFAULT_SUB)
  )
}

/**
 * The scripted drivers' interaction: login as the DIRECTIVE_HEADERS.sub account, else the
 * `login_hint` one (any sub is an account), default 'alice'; then consent to everything requested,
 * unless DIRECTIVE_HEADERS.deny refuses it. No HTML, JSON errors: for tests only.
 */
async function autoComplete(
  provider: OidcProvider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let interaction: Interaction
  try {
    interaction = await provider.interactionDetails(req, res)
  } catch (error) {
    sendJson(res, 400, { error: 'invalid_request', error_description: describe(error) })
    return
  }
  switch (interaction.prompt.name) {
    case 'login':
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: requestedSub(req, interaction), acr: loginAcr(interaction, req) } },
        { mergeWithLastSubmission: false },
      )
      return
    case 'consent': {
      if (header(req, DIRECTIVE_HEADERS.deny) === '1') {
        await provider.interactionFinished(req, res, ACCESS_DENIED, { mergeWithLastSubmission: false })
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
}

/**
 * Handles everything under `/interaction/`: the scripted drivers' requests auto-complete, a
 * browser gets the login and consent pages (see interaction-pages.ts).
 */
export function createInteractionHandler(getProvider: () => OidcProvider) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const scripted = isScripted(req)
    try {
      if (scripted) await autoComplete(getProvider(), req, res)
      else {
        const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1')
        await handleInteractionPage(getProvider(), pathname.slice(INTERACTION_PATH.length), req, res)
      }
    } catch (error) {
      if (res.headersSent) return
      if (scripted) sendJson(res, 500, { error: 'server_error', error_description: describe(error) })
      else {
        console.error('dev-idp: interaction page failed', error)
        const page = errorPage('The dev IdP failed to handle this request.')
        sendHtml(res, 500, page.title, page.body)
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
