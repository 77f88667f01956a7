/**
 * The user's part of a login at the dev IdP, in a real browser page: its login form, then its
 * consent page. Selectors are the dev IdP's stable element ids (PAGE_IDS), not its wording.
 */
import { PAGE_IDS } from '@org/dev-idp'
import type { Page } from 'playwright-core'

export interface DevIdpSignIn {
  /** Default: 'alice'. */
  username?: string
  /** Default: 'alice-password'. */
  password?: string
  /** Button to press on the consent page, when it is shown. Default: 'allow'. */
  consent?: 'allow' | 'deny'
}

const byId = (id: string): string => `#${id}`

/**
 * Expects `page` on the dev IdP's login page (after the app redirected it there), signs in, and
 * answers the consent page if one follows. Resolves once the browser is back on another origin
 * (the app's callback and wherever that redirects); rejects with the IdP's message when the login
 * form comes back with an error (wrong password).
 */
export async function signInAtDevIdp(page: Page, options: DevIdpSignIn = {}): Promise<void> {
  await page.locator(byId(PAGE_IDS.loginForm)).waitFor()
  const idpOrigin = new URL(page.url()).origin
  const loginPage = page.url()
  await page.locator('#username').fill(options.username ?? 'alice')
  await page.locator('#password').fill(options.password ?? 'alice-password')
  await page.locator(byId(PAGE_IDS.signIn)).click()

  // Next: the consent page (a new interaction URL), the login form again with an error
  // (`…/login`), or straight back to the app when consent was given before.
  await page.waitForURL((url) => url.origin !== idpOrigin || (url.href !== loginPage && isInteraction(url)))
  if (new URL(page.url()).origin !== idpOrigin) return
  const error = page.locator(byId(PAGE_IDS.error))
  if ((await error.count()) > 0)
    throw new Error(`dev-idp login failed: ${(await error.textContent())?.trim() ?? ''}`)

  await page.locator(byId(options.consent === 'deny' ? PAGE_IDS.deny : PAGE_IDS.allow)).click()
  await page.waitForURL((url) => url.origin !== idpOrigin)
}

function isInteraction(url: URL): boolean {
  return /^\/interaction\/[^/]+(\/login)?$/.test(url.pathname)
}

/**
 * Expects `page` on the dev IdP's sign-out confirmation (after the app sent it to the
 * `end_session_endpoint` with an `id_token_hint`), presses "Sign out", and resolves once the
 * browser is back at the app's post-logout redirect URI.
 */
export async function signOutAtDevIdp(page: Page): Promise<void> {
  const signOut = page.locator(byId(PAGE_IDS.signOut))
  await signOut.waitFor()
  const idpOrigin = new URL(page.url()).origin
  await signOut.click()
  await page.waitForURL((url) => url.origin !== idpOrigin)
}
