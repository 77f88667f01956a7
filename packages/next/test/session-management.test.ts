import { MemorySessionStore } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createNextAuth, type NextAuth } from '../src/index.js'
import { Jar, logIn, loginOptions, SECRET } from './helpers.js'
import { enterRequest, leaveRequest } from './next-context.js'

// listSessions / revokeSession / revokeAllSessions on Next's request scope (played by
// test/next-context.ts), against the dev IdP, with a store that indexes sessions by user.
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
afterEach(() => leaveRequest())

const APP_ORIGIN = 'http://localhost:3004'

/** A Server Action's scope: cookies writable, and the browser's same-origin signals. */
function inAction(jar: Jar, signals: Record<string, string> = { origin: APP_ORIGIN }) {
  const scope = enterRequest(jar, { writable: true })
  for (const [name, value] of Object.entries(signals)) scope.headers.set(name, value)
  return scope
}

async function signedIn(nextAuth: NextAuth): Promise<Jar> {
  const jar = new Jar()
  await logIn(nextAuth, idp, jar)
  return jar
}

describe('session management (Next)', () => {
  it("lists the user's sessions and ends another one from a Server Action", async () => {
    const store = new MemorySessionStore()
    const nextAuth = createNextAuth(loginOptions(idp, { session: { secrets: SECRET, store } }))
    const laptop = await signedIn(nextAuth)
    const phone = await signedIn(nextAuth)

    enterRequest(laptop, { writable: false })
    const listed = (await nextAuth.listSessions()) ?? []
    expect(listed).toHaveLength(2)
    const other = listed.find((session) => !session.current)
    expect(listed.filter((session) => session.current)).toHaveLength(1)

    // Without the browser's same-origin signals (a cross-site form post), nothing is ended.
    inAction(laptop, { 'sec-fetch-site': 'cross-site' })
    await expect(nextAuth.revokeSession(other?.handle as string)).rejects.toMatchObject({
      code: 'ERR_CROSS_SITE_REQUEST',
    })
    inAction(laptop)
    await expect(nextAuth.revokeSession(other?.handle as string)).resolves.toBe(true)
    enterRequest(phone, { writable: false })
    expect(await nextAuth.getSession()).toBeNull()
    expect(await nextAuth.listSessions()).toBeNull()
    enterRequest(laptop, { writable: false })
    expect(await nextAuth.getSession()).not.toBeNull()
  })

  it('signs out everywhere and clears the cookie of the browser that asked', async () => {
    const store = new MemorySessionStore()
    const nextAuth = createNextAuth(loginOptions(idp, { session: { secrets: SECRET, store } }))
    const first = await signedIn(nextAuth)
    const second = await signedIn(nextAuth)

    const keep = inAction(first, { 'sec-fetch-site': 'same-origin' })
    await expect(nextAuth.revokeAllSessions({ keepCurrent: true })).resolves.toBe(1)
    expect(keep.written).toEqual([])
    enterRequest(second, { writable: false })
    expect(await nextAuth.getSession()).toBeNull()

    await signedIn(nextAuth)
    const all = inAction(first)
    await expect(nextAuth.revokeAllSessions()).resolves.toBe(2)
    expect(all.written).toEqual([expect.objectContaining({ name: 'auth.session', value: '', maxAge: 0 })])
    await expect(store.listUserSessions('alice')).resolves.toEqual([])
  })

  it('needs a store that indexes sessions by user', async () => {
    const nextAuth = createNextAuth(loginOptions(idp))
    const jar = await signedIn(nextAuth)
    enterRequest(jar, { writable: false })
    await expect(nextAuth.listSessions()).rejects.toMatchObject({ code: 'ERR_SESSION_STORE_REQUIRED' })
  })
})
