/**
 * A browser without a browser: a cookie jar that logs in through the dev IdP's real pages (the
 * demo's login route, the IdP's login form as alice, its consent page, the demo's callback) and
 * then views the demo's signed-in pages. Each step checks what a user would see, so a wrong page
 * counts as an error even when its status is 200.
 */
import { DEV_USERS, PAGE_IDS } from '@org/dev-idp'
import { REFRESH_BEFORE } from './soak-config.js'
import { browse, CookieJar, type HttpResponse, isRedirect } from './soak-http.js'

const MAX_REDIRECTS = 10
const USER = DEV_USERS.find((user) => user.username === 'alice') ?? { username: 'alice', password: '' }
/** What the profile page's three API calls answer with a session token: any token; scope write; scope admin (not granted). */
const PROFILE_STATUSES = ['200', '201', '403']

export interface DemoSite {
  /** The origin the browser uses (the Next demo's is `localhost`; connections go to 127.0.0.1 anyway). */
  origin: string
  /** The login route: `/auth/login`, or `/api/auth/login` on Next. */
  loginPath: string
  /** The session cookie's name (the demos keep the default). */
  sessionCookie: string
  /** Whether every page view refreshes a due token (Next's proxy), not only the profile page's `requireSession`. */
  proxyRefreshes: boolean
}

export class SoakError extends Error {}

/** A signed-in browser. Used by one worker at a time, as one browser tab would. */
export interface Browser {
  jar: CookieJar
  /** Epoch ms of the login. */
  createdAt: number
  /** Epoch ms when the session's access token was issued (login or last refresh), as seen from here. */
  issuedAt: number
  lastUsed: number
  busy: boolean
  /** Page views so far: each browser alternates the profile and home pages. */
  views: number
}

function describe(response: HttpResponse, what: string): string {
  if (response.status === 0) return `${what}: no answer (${response.failure ?? 'unknown'})`
  return `${what}: HTTP ${response.status}`
}

/** Follows redirects (GET, as browsers do after a form POST) until a page. */
async function follow(jar: CookieJar, url: URL, response: HttpResponse): Promise<[URL, HttpResponse]> {
  let current = url
  let answer = response
  for (let hop = 0; hop < MAX_REDIRECTS && isRedirect(answer); hop += 1) {
    current = new URL(answer.headers.location as string, current)
    answer = await browse(jar, current)
  }
  return [current, answer]
}

function formAction(page: HttpResponse, formId: string, pageUrl: URL, what: string): URL {
  const match = new RegExp(`<form id="${formId}" method="post" action="([^"]+)"`).exec(page.body)
  if (page.status !== 200 || match === null) throw new SoakError(`${describe(page, what)} without its form`)
  return new URL((match[1] as string).replaceAll('&amp;', '&'), pageUrl)
}

/** The whole login. Resolves with the signed-in browser, or throws a SoakError naming the failed step. */
export async function logIn(site: DemoSite): Promise<Browser> {
  const jar = new CookieJar()
  const start = new URL(site.loginPath, site.origin)
  const first = await browse(jar, start)
  if (!isRedirect(first)) throw new SoakError(describe(first, 'login route did not redirect'))

  let [url, page] = await follow(jar, start, first)
  const login = formAction(page, PAGE_IDS.loginForm, url, 'IdP login page')
  let answer = await browse(jar, login, { form: { username: USER.username, password: USER.password } })
  ;[url, page] = await follow(jar, login, answer)
  const consent = formAction(page, PAGE_IDS.consentForm, url, 'IdP consent page')
  answer = await browse(jar, consent, { form: {} })
  // Back through the demo's callback (which sets the session) to its home page.
  ;[url, page] = await follow(jar, consent, answer)
  if (url.origin !== site.origin)
    throw new SoakError(describe(page, `login ended at ${url.pathname} on the IdP`))
  if (jar.get(url, site.sessionCookie) === undefined)
    throw new SoakError(describe(page, `no ${site.sessionCookie} cookie after the callback`))
  checkHome(page)
  const now = Date.now()
  return { jar, createdAt: now, issuedAt: now, lastUsed: now, busy: false, views: 0 }
}

function checkHome(page: HttpResponse): void {
  if (page.status !== 200) throw new SoakError(describe(page, 'home page'))
  if (!/id="sub">alice</.test(page.body)) throw new SoakError('home page does not show the signed-in user')
}

function checkProfile(page: HttpResponse): void {
  if (page.status !== 200) throw new SoakError(describe(page, 'profile page'))
  const statuses = PROFILE_STATUSES.map(
    (_, index) => new RegExp(`id="status-${index}">(?:<!-- -->)?(\\d{3})<`).exec(page.body)?.[1],
  )
  if (statuses.join() !== PROFILE_STATUSES.join())
    throw new SoakError(
      `profile page API calls answered ${statuses.join('/')} (expected ${PROFILE_STATUSES.join('/')})`,
    )
}

export type PageView = 'session' | 'refresh'
export type Page = 'profile' | 'home'

/** Epoch ms when the browser's access token is due for a refresh (`ttl - refreshBefore` after it was issued). */
function dueAt(browser: Browser, tokenTtl: number): number {
  return browser.issuedAt + (tokenTtl - REFRESH_BEFORE) * 1000
}

/**
 * Whether this page view must refresh the access token: it is a margin past due (for clock
 * rounding), and the page requires the session (the profile page's `requireSession` refreshes a
 * due token; the home page only reads the session), or, on Next, any page (its proxy refreshes).
 */
export function refreshExpected(site: DemoSite, browser: Browser, page: Page, tokenTtl: number): boolean {
  return Date.now() >= dueAt(browser, tokenTtl) + 1500 && (page === 'profile' || site.proxyRefreshes)
}

/**
 * One signed-in page view (the profile page, whose server calls the demo's API with the
 * session's access token, or the home page). A profile view (on Next, any view) at a time the
 * access token is due (`ttl - refreshBefore` after it was issued, plus a margin for clock
 * rounding) is a `refresh`, and must rewrite the session cookie. Throws a SoakError on anything a user would notice.
 */
export async function viewPage(
  site: DemoSite,
  browser: Browser,
  page: Page,
  tokenTtl: number,
): Promise<PageView> {
  const due = dueAt(browser, tokenTtl)
  const expectRefresh = refreshExpected(site, browser, page, tokenTtl)
  const url = new URL(page === 'profile' ? '/profile' : '/', site.origin)
  const before = browser.jar.get(url, site.sessionCookie)
  const answer = await browse(browser.jar, url)
  const received = Date.now()
  if (page === 'profile') checkProfile(answer)
  else checkHome(answer)
  const after = browser.jar.get(url, site.sessionCookie)
  if (after === undefined) throw new SoakError(`${page} page deleted the session cookie`)
  const rewritten = after !== before
  // Near the due time, our clock and the server's may disagree by a second: a rewrite then is the refresh.
  if (rewritten && received >= due - 1000) {
    browser.issuedAt = received
    return 'refresh'
  }
  if (expectRefresh) throw new SoakError(`${page} page did not refresh a due access token`)
  return 'session'
}
