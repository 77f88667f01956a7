/**
 * The dev IdP's HTML: the login and consent pages a real browser sees, and the page shell the
 * device-flow pages share. Self-contained (no scripts, no external assets) so it works offline and
 * under a strict Content-Security-Policy; every interpolated value goes through escapeHtml.
 */
import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { KoaContextWithOIDC } from 'oidc-provider'
import { DEV_USERS, MFA_OTP_CODE } from './accounts.js'

/** Stable element ids: e2e tests and the device driver select on these, not on the wording. */
export const PAGE_IDS = Object.freeze({
  error: 'dev-idp-error',
  loginForm: 'dev-idp-login',
  signIn: 'dev-idp-sign-in',
  cancel: 'dev-idp-cancel',
  consentForm: 'dev-idp-consent',
  allow: 'dev-idp-allow',
  deny: 'dev-idp-deny',
  signOut: 'dev-idp-sign-out',
  staySignedIn: 'dev-idp-stay-signed-in',
  signedOut: 'dev-idp-signed-out',
} as const)

/** Escapes the five HTML-significant characters, for both text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.5rem}label{display:block;margin:.75rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
button{margin:1rem .5rem 0 0;padding:.5rem 1.25rem;font:inherit;cursor:pointer}
.primary{background:#1f6feb;color:#fff;border:1px solid #1f6feb;border-radius:6px}
.secondary{background:#fff;border:1px solid #d0d7de;border-radius:6px}
.error{color:#cf222e;font-weight:600}.note{color:#59636e;font-size:.875rem}
table{border-collapse:collapse;margin-top:.5rem}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}`

// The only inline resource, allowed by its hash rather than by 'unsafe-inline'. No form-action
// directive: Chromium applies it to the redirects after a submit, and those leave for the client.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A complete page with the shared style. `title` is escaped; `body` must already be safe HTML. */
export function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`
}

/** Sends a page that must not be cached, framed (clickjacking the consent) or sniffed. */
export function sendHtml(res: ServerResponse, status: number, title: string, body: string): void {
  const text = htmlDocument(title, body)
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
  })
  res.end(text)
}

function errorParagraph(message: string | undefined): string {
  return message ? `<p id="${PAGE_IDS.error}" class="error" role="alert">${escapeHtml(message)}</p>` : ''
}

const demoUsersTable = (): string => `<p class="note">Development IdP: these demo users exist.</p>
<table><tr><th>username</th><th>password</th></tr>
${DEV_USERS.map(
  (user) =>
    `<tr><td>${escapeHtml(user.username)}</td><td>${escapeHtml(user.password)}${
      user.mfa ? ` <span class="note">(password grant asks for OTP ${MFA_OTP_CODE})</span>` : ''
    }</td></tr>`,
).join('\n')}
</table>`

export interface LoginPageView {
  /** Interaction uid: the form posts to `/interaction/<uid>/login`. */
  uid: string
  clientName: string
  /** Prefilled username: the request's `login_hint`, or what the user typed before an error. */
  username: string
  error?: string
}

/** Username and password form; "Cancel" posts to `/abort` and returns access_denied to the client. */
export function loginPage(view: LoginPageView): { title: string; body: string } {
  const base = `/interaction/${encodeURIComponent(view.uid)}`
  return {
    title: 'Sign in',
    body: `<p>to continue to <strong>${escapeHtml(view.clientName)}</strong></p>
${errorParagraph(view.error)}
<form id="${PAGE_IDS.loginForm}" method="post" action="${escapeHtml(`${base}/login`)}" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(view.username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="${PAGE_IDS.signIn}" type="submit" class="primary">Sign in</button>
<button id="${PAGE_IDS.cancel}" type="submit" class="secondary" formaction="${escapeHtml(`${base}/abort`)}" formnovalidate>Cancel</button>
</form>
${demoUsersTable()}`,
  }
}

/** What the consent prompt asks for, from oidc-provider's `prompt.details`. */
export interface ConsentRequest {
  /** OpenID Connect scopes not yet granted (`openid`, `profile`, `offline_access`...). */
  oidcScopes: string[]
  /** API scopes not yet granted, per resource indicator. */
  resourceScopes: Record<string, string[]>
}

export interface ConsentPageView {
  /** Interaction uid: Allow posts to `/interaction/<uid>/confirm`, Deny to `/interaction/<uid>/abort`. */
  uid: string
  clientName: string
  accountId: string
  request: ConsentRequest
}

const OIDC_SCOPE_TEXT: Record<string, string> = {
  openid: 'Sign you in (your user id)',
  profile: 'Your name',
  email: 'Your email address',
  offline_access: 'Keep access while you are away (refresh tokens)',
}

function scopeList(request: ConsentRequest): string {
  const items = request.oidcScopes.map(
    (scope) => `<li>${escapeHtml(OIDC_SCOPE_TEXT[scope] ?? scope)} <code>${escapeHtml(scope)}</code></li>`,
  )
  for (const [resource, scopes] of Object.entries(request.resourceScopes)) {
    const names =
      scopes.length > 0 ? scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(' ') : ''
    items.push(`<li>Call the API <code>${escapeHtml(resource)}</code> ${names}</li>`)
  }
  if (items.length === 0) return '<p>It asks you to confirm a previous authorization.</p>'
  return `<p>It asks to:</p>\n<ul>\n${items.join('\n')}\n</ul>`
}

/** The client, the signed-in account and each requested scope, with Allow and Deny. */
export function consentPage(view: ConsentPageView): { title: string; body: string } {
  const base = `/interaction/${encodeURIComponent(view.uid)}`
  return {
    title: 'Authorize access',
    body: `<p><strong>${escapeHtml(view.clientName)}</strong> wants access to the account
<strong>${escapeHtml(view.accountId)}</strong>.</p>
${scopeList(view.request)}
<form id="${PAGE_IDS.consentForm}" method="post" action="${escapeHtml(`${base}/confirm`)}">
<button id="${PAGE_IDS.allow}" type="submit" class="primary" autofocus>Allow</button>
<button id="${PAGE_IDS.deny}" type="submit" class="secondary" formaction="${escapeHtml(`${base}/abort`)}">Deny</button>
</form>`,
  }
}

/** A dead end the user can only leave by starting over at the application. */
export function errorPage(message: string): { title: string; body: string } {
  return {
    title: 'Sign-in problem',
    body: `${errorParagraph(message)}\n<p>Go back to the application and sign in again.</p>`,
  }
}

function clientDisplayName(ctx: KoaContextWithOIDC): string | undefined {
  const client = ctx.oidc.client
  return client ? (client.clientName ?? client.clientId) : undefined
}

/**
 * Replacements for `features.rpInitiatedLogout.{logoutSource,postLogoutSuccessSource}`: the
 * defaults load a web font from the Internet, which stalls an offline browser test. oidc-provider
 * still builds the form (with its xsrf token); "Sign out" submits it with `logout=yes`.
 */
export const logoutPages = {
  logoutSource(ctx: KoaContextWithOIDC, form: string): void {
    const name = clientDisplayName(ctx)
    ctx.type = 'html'
    ctx.body = htmlDocument(
      'Sign out',
      `<p>Sign out of the dev IdP${name ? ` and return to <strong>${escapeHtml(name)}</strong>` : ''}?</p>
${form}
<button id="${PAGE_IDS.signOut}" type="submit" form="op.logoutForm" name="logout" value="yes" class="primary" autofocus>Sign out</button>
<button id="${PAGE_IDS.staySignedIn}" type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
    )
  },
  postLogoutSuccessSource(ctx: KoaContextWithOIDC): void {
    const name = clientDisplayName(ctx)
    ctx.type = 'html'
    ctx.body = htmlDocument(
      'Signed out',
      `<p id="${PAGE_IDS.signedOut}">You are signed out${name ? ` of ${escapeHtml(name)}` : ''}.</p>`,
    )
  },
}
