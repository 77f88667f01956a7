/**
 * Session management for the signed-in user: where they are signed in (created, last seen, the
 * browser), ending one of those sessions, or all of them ("sign out everywhere"). It needs a
 * session store that indexes sessions by user (`listUserSessions` / `deleteUserSessions`): in
 * cookie mode a session lives only in its browser and cannot be listed or ended from elsewhere.
 */
import { ConfigurationError, SessionError } from '../errors.js'
import type { AuthConfig, Site } from './auth-config.js'
import type { RequestLike } from './request-like.js'
import { isSameOrigin } from './responses.js'
import type { SessionCookies } from './session-cookie.js'
import type { SessionResolver } from './session-resolver.js'
import type { SessionData, SessionStore } from './session-store.js'

/** One of the user's sessions, as a "where you are signed in" page shows it. */
export interface SessionSummary {
  /** Names the session for `revokeSession`; not its id (which only the store and the cookie hold). */
  handle: string
  /** Epoch seconds of the login. */
  createdAt: number
  /** Epoch seconds of its last renewal or refresh (about once a minute while in use). */
  lastSeenAt: number | undefined
  /** Epoch seconds when it ends unless used. */
  expiresAt: number
  /** The browser that logged in (a short `User-Agent` label), when it sent one. */
  userAgent: string | undefined
  /** Whether it is the session of the request that asked. */
  current: boolean
}

type IndexedStore = SessionStore & Required<Pick<SessionStore, 'listUserSessions' | 'deleteUserSessions'>>

/** A handle for a session id: its SHA-256, cut to 128 bits, base64url. */
async function handleOf(id: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)))
  return btoa(String.fromCharCode(...digest.subarray(0, 16)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

export class SessionManager {
  readonly #config: AuthConfig
  readonly #cookies: SessionCookies
  readonly #resolver: SessionResolver

  constructor(config: AuthConfig, cookies: SessionCookies, resolver: SessionResolver) {
    this.#config = config
    this.#cookies = cookies
    this.#resolver = resolver
  }

  #store(): IndexedStore {
    const { store } = this.#config
    if (typeof store?.listUserSessions !== 'function' || typeof store.deleteUserSessions !== 'function') {
      throw new ConfigurationError(
        'Session management needs "session.store" with listUserSessions and deleteUserSessions (MemorySessionStore, or a shared store that indexes sessions by user)',
        { code: 'ERR_SESSION_STORE_REQUIRED' },
      )
    }
    return store as IndexedStore
  }

  /** The signed-in user's current session, or `null`. */
  async #current(site: Site, cookies: Map<string, string>): Promise<SessionData | null> {
    return (await this.#cookies.read(site, cookies))?.session ?? null
  }

  /** Ending sessions changes state: only on a request from this application itself. */
  #sameOrigin(request: RequestLike, site: Site): void {
    if (!isSameOrigin(request, site.origin)) {
      throw new SessionError(
        'ERR_CROSS_SITE_REQUEST',
        'Sessions can be ended only from this application',
        403,
      )
    }
  }

  /** The sessions of the request's user, newest first; `null` when it is signed out. */
  async list(site: Site, cookies: Map<string, string>): Promise<SessionSummary[] | null> {
    const store = this.#store()
    const current = await this.#current(site, cookies)
    if (current === null) return null
    const sessions = await store.listUserSessions(current.user.sub)
    const summaries = await Promise.all(
      sessions.map(async (session) => ({
        handle: await handleOf(session.id),
        createdAt: session.createdAt,
        lastSeenAt: session.lastSeenAt,
        expiresAt: session.expiresAt,
        userAgent: session.userAgent,
        current: session.id === current.id,
      })),
    )
    return summaries.sort((a, b) => b.createdAt - a.createdAt)
  }

  /** Ends the user's session named by `handle`; whether there was one. Never another user's. */
  async revoke(
    request: RequestLike,
    site: Site,
    cookies: Map<string, string>,
    handle: string,
  ): Promise<boolean> {
    this.#sameOrigin(request, site)
    const store = this.#store()
    const current = await this.#current(site, cookies)
    if (current === null) return false
    for (const session of await store.listUserSessions(current.user.sub)) {
      if ((await handleOf(session.id)) !== handle) continue
      await store.delete(session.id)
      this.#resolver.forget(session.id)
      return true
    }
    return false
  }

  /**
   * Ends every session of the request's user, or every other one with `keepCurrent`; the number
   * ended and the `Set-Cookie` lines that clear this browser's cookie when its session ended too.
   */
  async revokeAll(
    request: RequestLike,
    site: Site,
    cookies: Map<string, string>,
    keepCurrent: boolean,
  ): Promise<{ revoked: number; cookies: string[] }> {
    this.#sameOrigin(request, site)
    const store = this.#store()
    const current = await this.#current(site, cookies)
    if (current === null) return { revoked: 0, cookies: [] }
    const sub = current.user.sub
    if (!keepCurrent) {
      const sessions = await store.listUserSessions(sub)
      const revoked = await store.deleteUserSessions(sub)
      for (const session of sessions) this.#resolver.forget(session.id)
      return { revoked, cookies: await this.#cookies.clear(site, cookies, current) }
    }
    let revoked = 0
    for (const session of await store.listUserSessions(sub)) {
      if (session.id === current.id) continue
      await store.delete(session.id)
      this.#resolver.forget(session.id)
      revoked++
    }
    return { revoked, cookies: [] }
  }
}
