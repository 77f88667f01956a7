/**
 * Device Authorization Grant (RFC 8628): minimal user-facing pages for oidc-provider's device
 * flow, and a driver that walks through them over HTTP the way a user with a browser would.
 */
import type { Client, ErrorOut, KoaContextWithOIDC } from 'oidc-provider'
import { type BrowseResult, browse, CookieJar } from './browser.js'
import { DIRECTIVE_HEADERS } from './directives.js'
import { escapeHtml, htmlDocument as html, PAGE_IDS } from './pages.js'

/** Stable markers the driver looks for, independent of oidc-provider's default page templates. */
const ERROR_ID = PAGE_IDS.error
const SUCCESS_ID = 'dev-idp-success'

/**
 * Replacements for `features.deviceFlow.{userCodeInputSource,userCodeConfirmSource,successSource}`.
 * oidc-provider still builds the forms (with their xsrf token); these pages only wrap them, with
 * no external stylesheet, so they work offline and the driver can rely on their markers.
 */
export const deviceFlowPages = {
  userCodeInputSource(ctx: KoaContextWithOIDC, form: string, out?: ErrorOut, err?: Error): void {
    const message = err
      ? `<p id="${ERROR_ID}" data-error="${escapeHtml(err.name)}">${escapeHtml(out?.error_description ?? err.message)}</p>`
      : '<p>Enter the code displayed on your device.</p>'
    ctx.body = html(
      'Device sign-in',
      `${message}\n${form}\n<button type="submit" form="op.deviceInputForm">Continue</button>`,
    )
  },
  userCodeConfirmSource(
    ctx: KoaContextWithOIDC,
    form: string,
    client: Client,
    _deviceInfo: unknown,
    userCode: string,
  ): void {
    ctx.body = html(
      'Confirm device',
      `<p><strong>${escapeHtml(client.clientId)}</strong> should display <code>${escapeHtml(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`,
    )
  },
  successSource(ctx: KoaContextWithOIDC): void {
    ctx.body = html('Device signed in', `<p id="${SUCCESS_ID}">You can return to your device.</p>`)
  },
}

/** How `approveDevice()` plays the user. */
export interface ApproveDeviceAs {
  /** Account to log in (default: the device request's `login_hint`, else 'alice'). */
  sub?: string
  /** Press "Abort" on the confirmation page: the device's token polling gets `access_denied`. */
  deny?: boolean
}

function hiddenField(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page)
  if (!match?.[1]) throw new Error(`dev-idp: device page has no ${name} field`)
  return match[1]
}

/** The page's error marker text, if the IdP rendered one (wrong, expired or used code...). */
function pageError(page: string): string | undefined {
  const match = new RegExp(`id="${ERROR_ID}" data-error="([^"]*)">([^<]*)<`).exec(page)
  return match ? `${match[1]}: ${match[2]}` : undefined
}

async function pageText(result: BrowseResult, step: string): Promise<string> {
  if (result.kind !== 'page') throw new Error(`dev-idp: device ${step} left the IdP (${result.url.origin})`)
  const text = await result.response.text()
  if (result.response.status !== 200) {
    throw new Error(
      `dev-idp: device ${step} failed with HTTP ${result.response.status}: ${text.slice(0, 200)}`,
    )
  }
  return text
}

/**
 * Enters `userCode` at the verification URI, confirms (or aborts), and lets the auto-completing
 * login and consent interactions finish, all over HTTP with one cookie jar. Resolves once the
 * IdP shows its success page (or, with `deny`, the aborted page); rejects with the IdP's message
 * otherwise (e.g. an unknown or already used code).
 */
export async function approveDeviceAsUser(
  verificationUri: string,
  userCode: string,
  as: ApproveDeviceAs,
): Promise<void> {
  const jar = new CookieJar()
  const headers: Record<string, string> = as.sub ? { [DIRECTIVE_HEADERS.sub]: as.sub } : {}
  const go = (form?: Record<string, string>) =>
    browse(verificationUri, { jar, headers, ...(form ? { form } : {}) })

  const input = await pageText(await go(), 'code entry')
  const confirm = await pageText(
    await go({ xsrf: hiddenField(input, 'xsrf'), user_code: userCode }),
    'code entry',
  )
  if (!confirm.includes('id="op.deviceConfirmForm"')) {
    throw new Error(`dev-idp: device code rejected (${pageError(confirm) ?? 'no confirmation form'})`)
  }
  const fields = { xsrf: hiddenField(confirm, 'xsrf'), user_code: hiddenField(confirm, 'user_code') }
  const done = await pageText(
    await go({ ...fields, ...(as.deny ? { abort: 'yes' } : { confirm: 'yes' }) }),
    'approval',
  )

  const error = pageError(done)
  if (as.deny) {
    if (!error?.startsWith('AbortedError')) throw new Error(`dev-idp: device abort not confirmed (${error})`)
  } else if (!done.includes(`id="${SUCCESS_ID}"`)) {
    throw new Error(`dev-idp: device approval failed (${error ?? 'no success page'})`)
  }
}
