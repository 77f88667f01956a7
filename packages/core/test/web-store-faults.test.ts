import { describe, expect, it } from 'vitest'
import {
  MemoryOneTimeStore,
  MemorySessionStore,
  type OneTimeStore,
  SessionError,
  type SessionStore,
} from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'
import { authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// A shared store that is down: the web login fails closed with 503 + Retry-After, and completes
// the same login once the store is back (nothing was used while it was down).
const idp = devIdps()
const unavailable = () => new SessionError('ERR_STORE_UNAVAILABLE', 'The store failed to answer', 503)

/** Stores that throw like a Redis or PostgreSQL store whose server is unreachable, while `down`. */
function flakyStores() {
  const state = { down: false }
  const once = new MemoryOneTimeStore()
  const sessions = new MemorySessionStore()
  const oneTimeStore: OneTimeStore = {
    consume: async (key, until) => {
      if (state.down) throw unavailable()
      return once.consume(key, until)
    },
  }
  const store: SessionStore = {
    get: async (id) => {
      if (state.down) throw unavailable()
      return sessions.get(id)
    },
    set: (id, session) => sessions.set(id, session),
    update: (id, session) => sessions.update(id, session),
    delete: (id) => sessions.delete(id),
  }
  return { state, oneTimeStore, store }
}

describe('web login with its store down', () => {
  it('answers a callback 503 with Retry-After, keeps the transaction, and completes it once the store is back', async () => {
    const provider = await idp()
    const { state, oneTimeStore, store } = flakyStores()
    const auth = await authFor(provider, { oneTimeStore, session: { secrets: SECRET, store } })
    const browser = new TestBrowser(auth)
    const callback = await browser.startLogin(provider)
    const path = callback.pathname + callback.search

    state.down = true
    const refused = await browser.fetch(path)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(refused.headers.getSetCookie()).toEqual([]) // the transaction cookie stays
    expect(await refused.text()).toContain('ERR_STORE_UNAVAILABLE')

    state.down = false
    const completed = await browser.fetch(path)
    expect(completed.status).toBe(302)
    expect(browser.cookies.has('auth.session')).toBe(true)
    // ...exactly once.
    const replayed = await new TestBrowser(auth).fetch(path)
    expect(replayed.status).toBe(400)
  })

  it('fails a session read closed, never as signed out or signed in', async () => {
    const provider = await idp()
    const { state, store } = flakyStores()
    const auth = await authFor(provider, { session: { secrets: SECRET, store } })
    const browser = new TestBrowser(auth)
    const callback = await browser.startLogin(provider)
    await browser.fetch(callback.pathname + callback.search)
    state.down = true
    await expect(auth.resolveSession(browser.request('/'))).rejects.toMatchObject({ status: 503 })
    await expect(auth.getSession(browser.request('/'))).rejects.toMatchObject({ status: 503 })
    // The guard adapters put on pages and APIs answers the refusal itself: no framework's bare 500.
    const check = await auth.requireSession(
      browser.request('/profile', { headers: { 'sec-fetch-mode': 'navigate' } }),
    )
    expect(check.ok).toBe(false)
    if (!check.ok) {
      expect(check.response.status).toBe(503)
      expect(check.response.headers.get('retry-after')).toBe('5')
      expect(check.response.headers.get('location')).toBeNull() // not sent to the login as if signed out
    }
    const json = await browser.fetch('/session', { headers: { accept: 'application/json' } })
    expect(json.status).toBe(503)
    expect(json.headers.get('retry-after')).toBe('5')
    expect(await json.json()).toEqual({
      error: 'ERR_STORE_UNAVAILABLE',
      error_description: 'The login service failed',
    })
    state.down = false
    expect((await auth.getSession(browser.request('/')))?.user.sub).toBe('alice')
  })
})
