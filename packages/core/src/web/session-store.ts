/**
 * Server-side session storage. With a store, the session cookie carries only a sealed session id
 * and the tokens stay on the server: smaller cookies, and a session can be revoked by deleting it.
 * Only the memory store ships: for several instances, implement this interface on a database they
 * share (the README shows one on Redis).
 */
import type { JWTClaims } from '../jwt/claims.js'
import type { SessionAppData } from './login-hook.js'

/** The tokens of a login session. Server-side only: never sent to the browser in clear. */
export interface SessionTokens {
  accessToken?: string
  refreshToken?: string
  idToken?: string
  /** Epoch seconds when the access token expires, when the server said. */
  expiresAt?: number
  /** Granted scope, space-separated. */
  scope?: string
}

/** A login session: the user's ID-token claims and the tokens, plus the times that bound its life. */
export interface SessionData {
  /** Random, renewed on every login (against session fixation). */
  id: string
  /** The verified ID-token (and userinfo) claims of the user. */
  user: JWTClaims & { sub: string }
  tokens: SessionTokens
  /** The application's data, as `onLogin` returned it. */
  data?: SessionAppData
  /** Epoch seconds of the login: `absoluteDuration` counts from here. */
  createdAt: number
  /** Epoch seconds when the session ends unless activity extends it. */
  expiresAt: number
}

/** Where sessions live when they are not kept whole in the cookie. Every method may be async. */
export interface SessionStore {
  /** The session with this id, or `undefined` when unknown or past its `expiresAt`. */
  get(id: string): Promise<SessionData | undefined>
  /** Stores (or replaces) a session until `session.expiresAt`. */
  set(id: string, session: SessionData): Promise<void>
  delete(id: string): Promise<void>
}

export interface MemorySessionStoreOptions {
  /** Sessions kept at most; the least recently used is dropped beyond. Default: 10,000. */
  maxEntries?: number
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/**
 * The default store: a bounded map in this process. Sessions are lost on restart and not shared
 * between instances: implement `SessionStore` on a shared database for more than one process.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, SessionData>()
  readonly #maxEntries: number
  readonly #now: () => number

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000
    this.#now = options.now ?? Date.now
  }

  async get(id: string): Promise<SessionData | undefined> {
    const session = this.#sessions.get(id)
    if (session === undefined) return undefined
    if (session.expiresAt * 1000 <= this.#now()) {
      this.#sessions.delete(id)
      return undefined
    }
    // Re-insert: Map order is recency order, so eviction takes the least recently used.
    this.#sessions.delete(id)
    this.#sessions.set(id, session)
    return structuredClone(session)
  }

  async set(id: string, session: SessionData): Promise<void> {
    this.#sessions.delete(id)
    // A copy: callers mutating their object must not change what is stored.
    this.#sessions.set(id, structuredClone(session))
    while (this.#sessions.size > this.#maxEntries) {
      const oldest = this.#sessions.keys().next().value as string
      this.#sessions.delete(oldest)
    }
  }

  async delete(id: string): Promise<void> {
    this.#sessions.delete(id)
  }

  /** Sessions currently held (expired ones included until read). */
  get size(): number {
    return this.#sessions.size
  }
}
