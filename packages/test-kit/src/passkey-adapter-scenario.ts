/**
 * The passkey scenario every adapter passes, over real HTTP: the adapter mounts
 * `createSessionPasskeyHandler` behind its session, a test-only route signs users in (as a login
 * would), and a route guarded by the adapter's own `requireSession({ maxAge: 300 })` answers the
 * session's claims. The software authenticator plays the browser's passkeys.
 */
import { expect } from 'vitest'
import { assertWith, attest, newCredential, type SoftCredential } from './soft-authenticator.js'

export interface PasskeyAdapterPaths {
  /** Where the passkey handler is mounted. Default: `/passkeys`. */
  passkeys?: string
  /** A POST route that signs in `?sub=` (the app's stand-in for an OIDC login). Default: `/test/login`. */
  login?: string
  /** A GET route behind the adapter's `requireSession({ maxAge: 300 })` answering the claims as JSON. Default: `/me`. */
  me?: string
}

/** A cookie jar and same-origin `fetch` against one origin. */
export class HttpBrowser {
  readonly cookies = new Map<string, string>()
  constructor(readonly origin: string) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: the handler's JSON, read only by expectations
  ): Promise<{ status: number; body: any; setCookie: string[] }> {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', accept: 'application/json' }
    if (this.cookies.size > 0) headers['cookie'] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const setCookie = response.headers.getSetCookie()
    for (const line of setCookie) {
      const [pair = ''] = line.split(';', 1)
      const eq = pair.indexOf('=')
      if (/max-age=0\b/i.test(line) || eq === pair.length - 1) this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {}
    return { status: response.status, body: parsed, setCookie }
  }
}

/** Runs the scenario against an adapter app at `origin`; throws (vitest `expect`) on the first failure. */
export async function runPasskeyAdapterScenario(
  origin: string,
  paths: PasskeyAdapterPaths = {},
): Promise<void> {
  const base = paths.passkeys ?? '/passkeys'
  const login = paths.login ?? '/test/login'
  const me = paths.me ?? '/me'

  // Signed out: nothing to manage.
  const stranger = new HttpBrowser(origin)
  expect((await stranger.call('POST', `${base}/register/options`)).status).toBe(401)
  expect((await stranger.call('GET', `${base}/credentials`)).status).toBe(401)

  const register = async (sub: string): Promise<{ browser: HttpBrowser; credential: SoftCredential }> => {
    const browser = new HttpBrowser(origin)
    expect((await browser.call('POST', `${login}?sub=${sub}`)).status).toBe(200)
    const options = await browser.call('POST', `${base}/register/options`)
    expect(options.status).toBe(200)
    expect(options.body.user.name).toBe(`${sub}@example.com`)
    const credential = newCredential(sub)
    const created = await browser.call(
      'POST',
      `${base}/register/verify`,
      attest(credential, options.body, origin),
    )
    expect(created.status).toBe(201)
    return { browser, credential }
  }
  const alice = await register('alice')
  const bob = await register('bob')

  // Bob sees and touches only his own passkeys.
  const list = await bob.browser.call('GET', `${base}/credentials`)
  expect(list.body.total).toBe(1)
  expect(list.body.credentials[0].id).toBe(bob.credential.id)
  const aliceOne = `${base}/credentials/${encodeURIComponent(alice.credential.id)}`
  expect((await bob.browser.call('GET', aliceOne)).status).toBe(404)
  expect((await bob.browser.call('PATCH', aliceOne, { name: 'mine now' })).status).toBe(404)
  expect((await bob.browser.call('DELETE', aliceOne)).status).toBe(404)
  expect((await alice.browser.call('GET', aliceOne)).body.name).not.toBe('mine now')

  // A new browser signs in with Alice's passkey alone; the adapter's guard then admits it.
  const fresh = new HttpBrowser(origin)
  expect((await fresh.call('GET', me)).status).toBe(401)
  const request = await fresh.call('POST', `${base}/authenticate/options`)
  const signedIn = await fresh.call(
    'POST',
    `${base}/authenticate/verify`,
    assertWith(alice.credential, request.body, origin),
  )
  expect(signedIn.status).toBe(200)
  expect(signedIn.setCookie.length).toBeGreaterThan(0)
  expect(signedIn.body.user).toMatchObject({ sub: 'alice', amr: ['pop', 'user', 'mfa'] })
  const claims = await fresh.call('GET', me)
  expect(claims.status).toBe(200)
  expect(claims.body).toMatchObject({
    sub: 'alice',
    iss: origin,
    amr: ['pop', 'user', 'mfa'],
    auth_time: expect.any(Number),
  })

  // A step-up offers each user their own passkeys, and Alice's rewrites her session's amr (was pwd).
  const stepOptions = await bob.browser.call('POST', `${base}/step-up/options`)
  expect(stepOptions.body.allowCredentials.map((c: { id: string }) => c.id)).toEqual([bob.credential.id])
  const stepUp = await alice.browser.call('POST', `${base}/step-up/options`)
  const stepped = await alice.browser.call(
    'POST',
    `${base}/step-up/verify`,
    assertWith(alice.credential, stepUp.body, origin),
  )
  expect(stepped.status).toBe(200)
  expect(stepped.setCookie.length).toBeGreaterThan(0)
  const after = await alice.browser.call('GET', me)
  expect(after.body).toMatchObject({ sub: 'alice', amr: ['pop', 'user', 'mfa'] })

  // A cross-site sign-in is refused.
  const options = await fresh.call('POST', `${base}/authenticate/options`)
  const forged = await fetch(`${origin}${base}/authenticate/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
    body: JSON.stringify(assertWith(alice.credential, options.body, origin)),
  })
  expect(forged.status).toBe(403)
  expect(forged.headers.getSetCookie()).toEqual([])
}

/**
 * The scenario's stand-in for an OIDC login, as a Web handler: `POST ?sub=` signs that user in
 * through `auth.signIn` (with `email` `{sub}@example.com`).
 */
export function testLoginHandler(auth: {
  signIn(
    request: Request,
    options: { user: { sub: string; email: string }; amr: string[] },
  ): Promise<{ cookies: string[] }>
}): (request: Request) => Promise<Response> {
  return async (request) => {
    const sub = new URL(request.url).searchParams.get('sub') ?? ''
    const { cookies } = await auth.signIn(request, {
      user: { sub, email: `${sub}@example.com` },
      amr: ['pwd'],
    })
    const headers = new Headers({ 'content-type': 'application/json' })
    for (const cookie of cookies) headers.append('set-cookie', cookie)
    return new Response('{}', { status: 200, headers })
  }
}
