/**
 * A scripted walk through a running demo (no browser): sign in through the dev IdP, read the
 * home page, make the profile page call the API, enrol TOTP and email MFA through the MFA
 * settings pages, log out. Every demo's own test asserts on what it saw, so all demos are held to
 * the same behaviour; `e2e/` walks the same way in Chromium.
 */
import { base32Decode, generateTotp } from '@org/auth-server'
import { signInToApp } from '@org/dev-idp'
import type { DevServices } from './dev-services.js'

export interface TourReport {
  /** Status and page of `/` before signing in. */
  signedOutHome: string
  /** Where the callback sent the browser. */
  landing: string | null
  home: string
  /** The three API statuses the profile page shows. */
  apiStatuses: string[]
  profile: string
  /** The MFA method shown before, after the TOTP enrolment, and after the email enrolment. */
  mfaMethods: string[]
  /** Error code shown for a wrong TOTP code. */
  wrongCodeError: string | undefined
  /** Status of a cross-site POST to the MFA pages. */
  crossSiteMfaStatus: number
  logoutStatus: number
  logoutLocation: string | null
  /** Status of `/profile` after logout (an API-style request: 401). */
  afterLogoutStatus: number
}

const pick = (html: string, pattern: RegExp): string | undefined => pattern.exec(html)?.[1]

export async function tourDemo(origin: string, services: DevServices, userId = 'alice'): Promise<TourReport> {
  const signedOutHome = await (await fetch(`${origin}/`)).text()
  const { jar, landing } = await signInToApp(services.idp.authorize, `${origin}/auth/login`, { sub: userId })
  const get = async (path: string) =>
    (await fetch(`${origin}${path}`, { headers: { cookie: jar.header() } })).text()
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = { origin }) =>
    fetch(`${origin}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    })
  const home = await get('/')
  const profile = await get('/profile')
  const apiStatuses = [0, 1, 2].map((i) => pick(profile, new RegExp(`id="status-${i}">(\\d+)<`)) ?? '')

  const mfaMethods = [pick(await get('/mfa'), /id="mfa-method">([^<]*)</) ?? '']
  const totpPage = await (await post('/mfa/start', { method: 'totp' })).text()
  const secret = pick(totpPage, /id="totp-secret">([A-Z2-7]+)</) ?? ''
  const sessionId = pick(totpPage, /name="sessionId" value="([^"]+)"/) ?? ''
  const wrong = await (await post('/mfa/verify', { sessionId, otp: '000000' })).text()
  const wrongCodeError = pick(wrong, /id="error">Refused: <code>([A-Z_]+)</)
  const code = await generateTotp(base32Decode(secret), Math.floor(Date.now() / 1000))
  mfaMethods.push(
    pick(await (await post('/mfa/verify', { sessionId, otp: code })).text(), /id="mfa-method">([^<]*)</) ??
      '',
  )

  const emailPage = await (
    await post('/mfa/start', { method: 'email', email: `${userId}@example.test` })
  ).text()
  const emailSession = pick(emailPage, /name="sessionId" value="([^"]+)"/) ?? ''
  const sent = services.outbox.filter((entry) => entry.userId === userId).at(-1)?.code ?? ''
  mfaMethods.push(
    pick(
      await (await post('/mfa/verify', { sessionId: emailSession, otp: sent })).text(),
      /id="mfa-method">([^<]*)</,
    ) ?? '',
  )
  const crossSiteMfaStatus = (
    await post('/mfa/start', { method: 'totp' }, { origin: 'https://evil.example' })
  ).status

  const logout = await post('/auth/logout', {})
  jar.store(logout)
  const afterLogout = await fetch(`${origin}/profile`, {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  })
  return {
    signedOutHome,
    landing: landing.headers.get('location'),
    home,
    apiStatuses,
    profile,
    mfaMethods,
    wrongCodeError,
    crossSiteMfaStatus,
    logoutStatus: logout.status,
    logoutLocation: logout.headers.get('location'),
    afterLogoutStatus: afterLogout.status,
  }
}
