/**
 * A tiny scripted "browser" for the user-side drivers (code flow, authorize(), device approval):
 * a cookie jar plus manual redirect following, so every hop stays observable and nothing leaves
 * 127.0.0.1 (the final redirect to the client is reported, never fetched).
 */
import { DIRECTIVE_HEADERS } from './directives.js'

/** Follows at most this many redirects between /auth, /device, /interaction and back. */
const MAX_REDIRECTS = 20

/** A minimal cookie jar: name=value pairs from Set-Cookie, sent back on every request (one origin). */
export class CookieJar {
  readonly #cookies = new Map<string, string>()

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? ''
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = /;\s*expires=Thu, 01 Jan 1970/i.test(line) || /;\s*max-age=0\b/i.test(line)
      if (!value || expired) this.#cookies.delete(name)
      else this.#cookies.set(name, value)
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }
}

export interface BrowseOptions {
  jar: CookieJar
  /** Extra request headers on every hop (more DIRECTIVE_HEADERS; `auto` is always sent). */
  headers?: Record<string, string>
  /** Form fields: the first request becomes a urlencoded POST (like submitting an HTML form). */
  form?: Record<string, string>
  /** Stop (without fetching) at the first redirect whose target satisfies this, e.g. the client callback. */
  isDone?: (url: URL) => boolean
}

/** Where browsing stopped: a redirect that `isDone` accepted, or a non-redirect page. */
export type BrowseResult = { kind: 'redirect'; url: URL } | { kind: 'page'; url: URL; response: Response }

/**
 * Requests `start` and follows redirects with GET (303 semantics, as browsers do after a form
 * POST), storing cookies on the way. The caller owns the returned page's body.
 */
export async function browse(start: string | URL, options: BrowseOptions): Promise<BrowseResult> {
  let url = new URL(start)
  let form = options.form
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    const headers: Record<string, string> = {
      // Marks the request as scripted: interactions auto-complete instead of showing the HTML pages.
      [DIRECTIVE_HEADERS.auto]: '1',
      ...options.headers,
      cookie: options.jar.header(),
    }
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers,
      ...(form ? { body: new URLSearchParams(form) } : {}),
    })
    form = undefined
    options.jar.store(response)
    const location = response.headers.get('location')
    if (response.status < 300 || response.status >= 400 || !location) return { kind: 'page', url, response }
    await response.body?.cancel()
    const next = new URL(location, url)
    if (options.isDone?.(next)) return { kind: 'redirect', url: next }
    url = next
  }
  throw new Error(`dev-idp: more than ${MAX_REDIRECTS} redirects starting at ${new URL(start).pathname}`)
}

/** Describes a failed endpoint response without echoing anything token-like. */
export async function failure(what: string, response: Response): Promise<Error> {
  let detail = ''
  try {
    const body = (await response.json()) as { error?: unknown; error_description?: unknown }
    detail = [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ')
  } catch {
    // not JSON
  }
  return new Error(`dev-idp: ${what} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`)
}

/** How `authorize()` plays the user. */
export interface AuthorizeAs {
  /** Account to log in; overrides the request's `login_hint` (default 'alice'). */
  sub?: string
  /** Refuse consent: the client gets `error=access_denied`. */
  denyConsent?: boolean
  /** Complete the login with this `acr`, whatever `acr_values` asked (a provider ignoring step-up). */
  acr?: string
  /**
   * The user's cookie jar at the IdP (default: a fresh one, dropped afterwards). Pass one to keep
   * the IdP session, e.g. to sign out of it later with `DevIdp.endSession`.
   */
  jar?: CookieJar
}

/**
 * Plays the browser for an authorization URL built by a client under test (plain or PAR
 * `request_uri`): fresh cookie jar, auto-completing interactions, and the first redirect that
 * leaves the IdP's origin is returned unfetched. So the callback must not be on the IdP's origin.
 */
export async function authorizeAsUser(issuer: string, url: string | URL, as: AuthorizeAs): Promise<URL> {
  const { origin } = new URL(issuer)
  const headers: Record<string, string> = {}
  if (as.sub) headers[DIRECTIVE_HEADERS.sub] = as.sub
  if (as.denyConsent) headers[DIRECTIVE_HEADERS.deny] = '1'
  if (as.acr) headers[DIRECTIVE_HEADERS.acr] = as.acr
  const outcome = await browse(url, {
    jar: as.jar ?? new CookieJar(),
    headers,
    isDone: (next) => next.origin !== origin,
  })
  if (outcome.kind === 'page') {
    throw await failure(`authorization request (${outcome.url.pathname})`, outcome.response)
  }
  return outcome.url
}

/**
 * Signs in to an application through its login route, as a user would: the app's login redirect,
 * the IdP's login and consent (played by `idp.authorize`), then the app's callback with the app's
 * cookies. Returns the app's cookie jar (holding its session) and the callback's answer.
 */
export async function signInToApp(
  authorize: (url: string | URL, as?: AuthorizeAs) => Promise<URL>,
  loginUrl: string,
  as: AuthorizeAs = {},
): Promise<{ jar: CookieJar; landing: Response }> {
  const jar = new CookieJar()
  const start = await fetch(loginUrl, { redirect: 'manual', headers: { cookie: jar.header() } })
  jar.store(start)
  const location = start.headers.get('location')
  if (start.status !== 302 || location === null)
    throw new Error(`dev-idp: the app's login answered ${start.status}`)
  const callback = await authorize(location, as)
  const landing = await fetch(callback, { redirect: 'manual', headers: { cookie: jar.header() } })
  jar.store(landing)
  return { jar, landing }
}

/**
 * Signs out at the IdP as the user whose IdP cookies are in `jar`: opens the end_session endpoint
 * (with `id_token_hint` when given), and submits its confirmation form with "Sign out"
 * (`logout=yes`, with the form's xsrf token), as the user's browser would. oidc-provider sends its
 * back-channel logout tokens before it answers. Resolves where the browser lands: the
 * post-logout redirect (unfetched) or the IdP's "signed out" page.
 */
export async function endSessionAsUser(
  endSessionUrl: string,
  jar: CookieJar,
  idTokenHint?: string,
): Promise<URL> {
  const url = new URL(endSessionUrl)
  if (idTokenHint !== undefined) url.searchParams.set('id_token_hint', idTokenHint)
  const { origin } = url
  const confirm = await browse(url, { jar, isDone: (next) => next.origin !== origin })
  if (confirm.kind === 'redirect') return confirm.url
  const html = await confirm.response.text()
  const action = /<form[^>]*id="op\.logoutForm"[^>]*action="([^"]+)"/.exec(html)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
  if (action === undefined || xsrf === undefined) {
    throw new Error(
      `dev-idp: no sign-out confirmation at ${confirm.url.pathname} (HTTP ${confirm.response.status})`,
    )
  }
  const done = await browse(new URL(action.replace(/&amp;/g, '&'), confirm.url), {
    jar,
    form: { xsrf, logout: 'yes' },
    isDone: (next) => next.origin !== origin,
  })
  if (done.kind === 'page') {
    await done.response.body?.cancel()
    if (done.response.status !== 200) throw await failure('sign-out', done.response)
  }
  return done.url
}
