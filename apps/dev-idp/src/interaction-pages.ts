/**
 * What a real browser gets at `/interaction/:uid`: a login form checked against DEV_USERS, then a
 * consent page. Routes (uid from oidc-provider, actions posted by the pages' forms):
 *
 *   GET  /interaction/:uid          the page for the current prompt (login or consent)
 *   POST /interaction/:uid/login    username + password; a wrong pair re-renders the form
 *   POST /interaction/:uid/confirm  Allow: grants what the consent page listed
 *   POST /interaction/:uid/abort    Cancel / Deny: access_denied at the client's redirect URI
 *
 * Cross-site requests cannot drive these: oidc-provider finds the interaction through its own
 * signed, HttpOnly, SameSite=Lax cookie (scoped to this path), which a cross-site POST does not
 * carry, and the uid in the URL must name that same interaction.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Interaction } from 'oidc-provider'
import { checkPassword } from './accounts.js'
import { loginAcr } from './acr.js'
import { ACCESS_DENIED, grantConsent, requestedConsent } from './consent.js'
import { consentPage, errorPage, loginPage, sendHtml } from './pages.js'
import type { OidcProvider } from './provider.js'
import { readParams } from './server.js'

/** The one message for a wrong username or password: it does not say which one was wrong. */
export const WRONG_CREDENTIALS = 'Wrong username or password.'

const ACTIONS = new Set(['login', 'confirm', 'abort'])

type Page = { title: string; body: string }

function show(res: ServerResponse, status: number, page: Page): void {
  sendHtml(res, status, page.title, page.body)
}

async function clientName(provider: OidcProvider, interaction: Interaction): Promise<string> {
  const clientId = interaction.params['client_id']
  if (typeof clientId !== 'string') return 'an application'
  const client = await provider.Client.find(clientId)
  return client?.clientName ?? clientId
}

async function promptPage(provider: OidcProvider, interaction: Interaction): Promise<Page> {
  const name = await clientName(provider, interaction)
  if (interaction.prompt.name === 'login') {
    const hint = interaction.params['login_hint']
    return loginPage({
      uid: interaction.uid,
      clientName: name,
      username: typeof hint === 'string' ? hint : '',
    })
  }
  if (interaction.prompt.name === 'consent') {
    return consentPage({
      uid: interaction.uid,
      clientName: name,
      accountId: interaction.session?.accountId ?? '',
      request: requestedConsent(interaction),
    })
  }
  return errorPage(`The dev IdP cannot complete the '${interaction.prompt.name}' prompt.`)
}

async function submitLogin(
  provider: OidcProvider,
  interaction: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const form = await readParams(req)
  const username = form['username'] ?? ''
  const user = checkPassword(username, form['password'] ?? '')
  if (!user) {
    // 200 like any re-rendered form; the password is never echoed back.
    const name = await clientName(provider, interaction)
    show(res, 200, loginPage({ uid: interaction.uid, clientName: name, username, error: WRONG_CREDENTIALS }))
    return
  }
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.sub, amr: ['pwd'], acr: loginAcr(interaction) } },
    { mergeWithLastSubmission: false },
  )
}

/** Handles a browser request under `/interaction/`; `rest` is the path after that prefix. */
export async function handleInteractionPage(
  provider: OidcProvider,
  rest: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const [uid = '', action, ...extra] = rest.split('/')
  if (extra.length > 0 || (action !== undefined && !ACTIONS.has(action))) {
    show(res, 404, errorPage('There is no such page.'))
    return
  }
  const expectedMethod = action === undefined ? 'GET' : 'POST'
  if (req.method !== expectedMethod) {
    res.setHeader('allow', expectedMethod)
    show(res, 405, errorPage(`This page only answers ${expectedMethod}.`))
    return
  }

  let interaction: Interaction
  try {
    interaction = await provider.interactionDetails(req, res)
  } catch {
    show(res, 400, errorPage('This sign-in request has expired or was started in another browser.'))
    return
  }
  // The cookie names the interaction; a URL for another one (a forged or stale link) is refused.
  if (interaction.uid !== uid) {
    show(res, 400, errorPage('This sign-in request does not belong to this browser.'))
    return
  }

  const prompt = interaction.prompt.name
  if (action === undefined) show(res, 200, await promptPage(provider, interaction))
  else if (action === 'abort') {
    await provider.interactionFinished(req, res, ACCESS_DENIED, { mergeWithLastSubmission: false })
  } else if (action === 'login' && prompt === 'login') await submitLogin(provider, interaction, req, res)
  else if (action === 'confirm' && prompt === 'consent') {
    const grantId = await grantConsent(provider, interaction)
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  } else {
    // e.g. a login form submitted twice: the first submit already moved on.
    show(res, 409, errorPage('This step is already done.'))
  }
}
