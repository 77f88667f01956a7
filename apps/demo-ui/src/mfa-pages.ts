/**
 * The demos' "MFA settings" pages, as one Web handler: the user's MFA state at the identity
 * provider, enrolment by TOTP (QR code of the otpauth URI), email or SMS, and the code check, all
 * through the delegation client. Each demo routes `/mfa` and `/mfa/*` here for a signed-in user.
 */
import { isAuthError, isSameOrigin } from '@org/auth-core'
import { type DelegationClient, MfaMethod } from '@org/auth-core/delegation'
import QRCode from 'qrcode'
import { type DemoPaths, escapeHtml, layout, type SignedInUser } from './pages.js'

export interface MfaPagesOptions {
  /** The demo's name, shown in the footer. */
  demo: string
  client: DelegationClient
  paths: DemoPaths
}

const MFA = '/mfa'

function html(body: string, status = 200): Response {
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  })
}

function otpForm(sessionId: string): string {
  return `<form method="post" action="${MFA}/verify"><input type="hidden" name="sessionId" value="${escapeHtml(sessionId)}">
<label>Code <input id="otp" name="otp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required></label>
<button type="submit" id="verify">Verify</button></form>`
}

function describe(error: unknown): string {
  if (!isAuthError(error)) throw error
  const remaining = (error as { attemptsRemaining?: number }).attemptsRemaining
  return `<p id="error">Refused: <code>${escapeHtml(error.code)}</code>${remaining === undefined ? '' : ` (${remaining} attempts left)`}</p>`
}

export function createMfaPages(
  options: MfaPagesOptions,
): (request: Request, user: SignedInUser) => Promise<Response> {
  const { client, demo } = options
  const page = (title: string, body: string, status?: number) => html(layout(title, demo, body), status)

  async function overview(user: SignedInUser, notice = ''): Promise<Response> {
    const credentials = await client.getUserCredentials(user.sub)
    const email = typeof user.email === 'string' ? user.email : ''
    return page(
      'MFA settings',
      `${notice}<p>Current method at the identity provider: <strong id="mfa-method">${escapeHtml(credentials.mfaMethod ?? 'none')}</strong></p>
<h2>Authenticator app (TOTP)</h2>
<form method="post" action="${MFA}/start"><input type="hidden" name="method" value="${MfaMethod.Totp}"><button type="submit" id="enrol-totp">Set up an authenticator app</button></form>
<h2>Email</h2>
<form method="post" action="${MFA}/start"><input type="hidden" name="method" value="${MfaMethod.Email}">
<label>Email <input id="email" name="email" type="email" value="${escapeHtml(email)}" required></label> <button type="submit" id="enrol-email">Send a code</button></form>
<h2>SMS</h2>
<form method="post" action="${MFA}/start"><input type="hidden" name="method" value="${MfaMethod.Sms}">
<label>Phone (E.164) <input id="phone" name="phoneNumber" placeholder="+15551234567" required></label> <button type="submit" id="enrol-sms">Send a code</button></form>`,
    )
  }

  async function start(user: SignedInUser, form: URLSearchParams): Promise<Response> {
    const method = form.get('method')
    try {
      const started = await client.initiateMfaChange({
        userId: user.sub,
        method:
          method === MfaMethod.Email
            ? MfaMethod.Email
            : method === MfaMethod.Sms
              ? MfaMethod.Sms
              : MfaMethod.Totp,
        ...(method === MfaMethod.Email ? { email: form.get('email') ?? '' } : {}),
        ...(method === MfaMethod.Sms ? { phoneNumber: form.get('phoneNumber') ?? '' } : {}),
      })
      const totp =
        started.totp === undefined
          ? `<p id="code-sent">A code was sent by ${escapeHtml(started.method)}.</p>`
          : `<p>Scan this QR code with your authenticator app, or enter the key by hand.</p>
<div id="qr" style="width:14rem">${await QRCode.toString(started.totp.otpauthUri, { type: 'svg', margin: 1 })}</div>
<p>Key: <code id="totp-secret">${escapeHtml(started.totp.secret)}</code></p>`
      return page('Confirm your new method', `${totp}${otpForm(started.sessionId)}`)
    } catch (error) {
      return overview(user, describe(error))
    }
  }

  async function verify(user: SignedInUser, form: URLSearchParams): Promise<Response> {
    const sessionId = form.get('sessionId') ?? ''
    try {
      await client.verifyMfaChange({ userId: user.sub, sessionId, otp: form.get('otp') ?? '' })
      return overview(user, '<p id="changed">Your MFA method was changed.</p>')
    } catch (error) {
      return page('Confirm your new method', `${describe(error)}${otpForm(sessionId)}`, 400)
    }
  }

  return async (request, user) => {
    const { pathname } = new URL(request.url)
    if (request.method === 'GET' && pathname === MFA) return overview(user)
    if (request.method !== 'POST' || (pathname !== `${MFA}/start` && pathname !== `${MFA}/verify`)) {
      return html('Not found', 404)
    }
    // The forms POST here; a cross-site form must not change anyone's MFA.
    if (!isSameOrigin(request, new URL(request.url).origin)) return html('Cross-site request refused', 403)
    const form = new URLSearchParams(await request.text())
    return pathname === `${MFA}/start` ? start(user, form) : verify(user, form)
  }
}
