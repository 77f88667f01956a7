import { MemorySessionStore, type SessionData } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { DynamicServerError } from 'next/dist/client/components/hooks-server-context.js'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createNextAuth, type NextAuth, type NextAuthLoginOptions } from '../src/index.js'
import { countingFetch, Jar, logIn, loginOptions, request, SECRET } from './helpers.js'
import { enterRequest, interruptWith, leaveRequest, watchClock, writtenLines } from './next-context.js'

// getSession (Server Components), getSessionInAction (Server Actions, route handlers) and
// requireSession, with Next's request scope (`next/headers`, `connection()` of `next/server`)
// played by test/next-context.ts and everything else real: the dev IdP issues and refreshes the tokens.
vi.mock('next/headers', () => import('./next-context.js'))
vi.mock('next/server', async (original) => ({
  ...(await original<typeof import('next/server')>()),
  connection: (await import('./next-context.js')).connection,
}))

let idp: DevIdp
beforeAll(async () => {
  idp = await startDevIdp()
})
afterAll(async () => {
  await idp?.close()
})
afterEach(() => {
  leaveRequest()
  vi.useRealTimers()
})

/** An adapter and a count of the refresh grants it sends to the IdP. */
function setUp(extra: Partial<NextAuthLoginOptions> = {}) {
  const counter = countingFetch()
  const nextAuth = createNextAuth(
    // Read through: the core keeps the function it is given, and the tests replace `Date`.
    loginOptions(idp, { now: () => Date.now(), clientOptions: { fetch: counter.fetch }, ...extra }),
  )
  return { nextAuth, refreshes: counter.refreshes }
}

/**
 * Ten minutes on, for the app and the IdP alike (they share this process's clock): the dev
 * IdP's five-minute access token is due for refresh, and a refreshed one is not.
 */
function tenMinutesLater(): void {
  const now = Date.now()
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true })
  vi.setSystemTime(now + 10 * 60_000)
}

async function inComponent(nextAuth: NextAuth, jar: Jar) {
  enterRequest(jar, { writable: false })
  return nextAuth.getSession()
}

describe('getSession (Server Components)', () => {
  it('answers null when signed out and the session when signed in', async () => {
    const { nextAuth } = setUp()
    const jar = new Jar()
    expect(await inComponent(nextAuth, jar)).toBeNull()
    await logIn(nextAuth, idp, jar)
    const session = await inComponent(nextAuth, jar)
    expect(session?.user).toMatchObject({ sub: 'alice', email: 'alice@example.test' })
    expect(session?.accessToken).toMatch(/^eyJ/)
  })

  it('answers null, never an error, to a tampered cookie or one sealed with another secret', async () => {
    const { nextAuth } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const sealed = jar.cookies.get('auth.session') as string
    jar.cookies.set('auth.session', `${sealed.slice(0, -6)}AAAAAA`)
    expect(await inComponent(nextAuth, jar)).toBeNull()
    const rotated = createNextAuth(loginOptions(idp, { session: { secrets: `${SECRET}-but-another-one` } }))
    jar.cookies.set('auth.session', sealed)
    expect(await inComponent(rotated, jar)).toBeNull()
  })

  it('answers null when the configuration is broken or the session store fails (fail closed)', async () => {
    const broken = createNextAuth(() => ({ ...loginOptions(idp), session: { secrets: 'too short' } }))
    const { nextAuth } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    expect(await inComponent(broken, jar)).toBeNull()

    const failing = new MemorySessionStore()
    const withStore = createNextAuth(loginOptions(idp, { session: { secrets: SECRET, store: failing } }))
    const storeJar = new Jar()
    await logIn(withStore, idp, storeJar)
    failing.get = async (): Promise<SessionData | undefined> => {
      throw new Error('store unreachable')
    }
    expect(await inComponent(withStore, storeJar)).toBeNull()
    enterRequest(storeJar, { writable: true })
    expect(await withStore.getSessionInAction()).toBeNull()
    expect(await withStore.getSessionFromRequest(request(storeJar, '/'))).toBeNull()
  })

  it("lets Next's own control-flow errors through (a swallowed one would prerender a signed-out page)", async () => {
    const { nextAuth } = setUp()
    enterRequest(new Jar(), { writable: false })
    const dynamic = new DynamicServerError('Route / used `headers()`')
    interruptWith(dynamic)
    await expect(nextAuth.getSession()).rejects.toBe(dynamic)
  })

  it('cookie mode: never refreshes while rendering; the proxy refreshes and hands the page the new cookie', async () => {
    const { nextAuth, refreshes } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const before = (await inComponent(nextAuth, jar))?.accessToken
    tenMinutesLater()
    // Rendering cannot write the cookie: a refresh here would lose a rotated refresh token.
    const rendered = await inComponent(nextAuth, jar)
    expect(rendered?.accessToken).toBe(before)
    expect(refreshes()).toBe(0)

    const proxied = await nextAuth.proxy()(request(jar, '/profile'))
    expect(refreshes()).toBe(1)
    expect(proxied.headers.get('x-middleware-next')).toBe('1')
    const forwarded = proxied.headers.get('x-middleware-request-cookie') as string
    expect(forwarded).toMatch(/^auth\.session=/)
    // The page rendered after the proxy reads the forwarded cookie...
    const page = new Jar()
    page.storeLines(forwarded.split('; ').map((pair) => `${pair}; Path=/`))
    const refreshed = await inComponent(nextAuth, page)
    expect(refreshed?.accessToken).toMatch(/^eyJ/)
    expect(refreshed?.accessToken).not.toBe(before)
    // ...and the browser stores the same one from the proxy's response.
    jar.store(proxied)
    expect((await inComponent(nextAuth, jar))?.accessToken).toBe(refreshed?.accessToken)
    expect(refreshes()).toBe(1)
  })

  it('store mode: refreshes while rendering, saved server-side for the unchanged cookie', async () => {
    const { nextAuth, refreshes } = setUp({
      session: { secrets: SECRET, store: new MemorySessionStore() },
    })
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const cookie = jar.cookies.get('auth.session')
    const before = (await inComponent(nextAuth, jar))?.accessToken
    tenMinutesLater()
    const rendered = await inComponent(nextAuth, jar)
    expect(refreshes()).toBe(1)
    expect(rendered?.accessToken).not.toBe(before)
    // The browser still sends the old cookie: it points at the updated record.
    expect(jar.cookies.get('auth.session')).toBe(cookie)
    expect((await inComponent(nextAuth, jar))?.accessToken).toBe(rendered?.accessToken)
    expect(refreshes()).toBe(1)
  })
})

describe('getSessionInAction (Server Actions and route handlers)', () => {
  it('refreshes when due and rewrites the cookie through cookies().set()', async () => {
    const { nextAuth, refreshes } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const before = (await inComponent(nextAuth, jar))?.accessToken
    tenMinutesLater()
    const action = enterRequest(jar, { writable: true })
    const session = await nextAuth.getSessionInAction()
    expect(refreshes()).toBe(1)
    expect(session?.accessToken).not.toBe(before)
    expect(action.written.map((cookie) => cookie.name)).toEqual(['auth.session'])
    expect(action.written[0]).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' })
    jar.storeLines(writtenLines(action.written))
    expect((await inComponent(nextAuth, jar))?.accessToken).toBe(session?.accessToken)
  })

  it('answers null where Next refuses the write (a Server Component)', async () => {
    const { nextAuth } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    tenMinutesLater()
    enterRequest(jar, { writable: false })
    expect(await nextAuth.getSessionInAction()).toBeNull()
  })
})

describe('requireSession', () => {
  it('redirects to the login route with returnTo when signed out, else returns the session', async () => {
    const { nextAuth } = setUp()
    const jar = new Jar()
    enterRequest(jar, { writable: false })
    const redirect = await nextAuth.requireSession('/profile').catch((error: unknown) => error)
    expect(redirect).toMatchObject({ digest: expect.stringContaining('/api/auth/login?returnTo=%2Fprofile') })
    await logIn(nextAuth, idp, jar)
    enterRequest(jar, { writable: false })
    expect((await nextAuth.requireSession()).user.sub).toBe('alice')
  })
})

/** The clock was read (the expiry check), and only after headers, cookies and `connection()`. */
function expectRequestBeforeClock(events: readonly string[]): void {
  const firstClock = events.indexOf('clock')
  expect(firstClock).toBeGreaterThan(-1)
  expect(events.slice(0, firstClock)).toEqual(expect.arrayContaining(['headers', 'cookies', 'connection']))
}

describe('request data before the clock (Next 16 cacheComponents)', () => {
  // Next refuses Date.now() and Math.random() while prerendering, and in a runtime prefetch
  // until `connection()`: every reader reads headers and cookies, then awaits `connection()`,
  // and only then lets the core check the session's expiry.
  const readers: [string, (nextAuth: NextAuth) => Promise<unknown>, boolean][] = [
    ['getSession', (nextAuth) => nextAuth.getSession(), false],
    ['getSessionInAction', (nextAuth) => nextAuth.getSessionInAction(), true],
    ['requireSession', (nextAuth) => nextAuth.requireSession('/profile'), false],
  ]
  it.each(readers)('%s', async (_name, read, writable) => {
    const { nextAuth } = setUp()
    const jar = new Jar()
    await logIn(nextAuth, idp, jar)
    const scope = enterRequest(jar, { writable })
    const restore = watchClock()
    try {
      expect(await read(nextAuth)).toMatchObject({ user: { sub: 'alice' } })
    } finally {
      restore()
    }
    expectRequestBeforeClock(scope.events)
  })

  it('also for a configuration created on first use (a function, or options during next build)', async () => {
    const jar = new Jar()
    await logIn(createNextAuth(loginOptions(idp)), idp, jar)
    const fresh = createNextAuth(() => loginOptions(idp)) // created by the read below
    const scope = enterRequest(jar, { writable: false })
    const restore = watchClock()
    try {
      expect(await fresh.getSession()).toMatchObject({ user: { sub: 'alice' } })
    } finally {
      restore()
    }
    expectRequestBeforeClock(scope.events)
  })
})
