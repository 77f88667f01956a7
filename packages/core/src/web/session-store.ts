/**
 * Server-side session storage. With a store, the session cookie carries only a sealed session id
 * and the tokens stay on the server: smaller cookies, and a session can be revoked by deleting it.
 * Only the memory store ships: for several instances, implement this interface on a database they
 * share (the README shows one on Redis).
 */
import type { JWK } from 'jose'
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
  /** `DPoP` when the access token is DPoP-bound (RFC 9449): sent only with proofs. Absent: Bearer. */
  tokenType?: 'DPoP'
  /**
   * The session's own DPoP private key, as a JWK (`createAuth({ dpop: 'session' })`): sealed
   * into the cookie with the rest of the session, or in the store. A secret, like the tokens.
   */
  dpopKey?: JWK
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
  /** The provider's session id (the login's ID-token `sid`), which a back-channel logout may name. */
  idpSid?: string
  /** The provider that issued the login's ID token (its `iss`), kept apart from `user` for the same reason. */
  issuer?: string
  /** Epoch seconds of the session's last write (login, renewal, refresh): "last seen". */
  lastSeenAt?: number
  /** A short, printable label of the browser that logged in (its `User-Agent`, cut to 120 characters). */
  userAgent?: string
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
  /**
   * Replaces a session only if it is still stored and unexpired; `false`, writing nothing, when
   * it is gone. Renewals and token refreshes write through it, so a request that read a session
   * just before "sign out everywhere" (or a back-channel logout) deleted it cannot bring it back
   * when it finishes. Redis: `SET … XX`; SQL: `UPDATE … WHERE id = $1 AND expires_at > now()`.
   * Optional: without it the core falls back to `get` then `set`, which leaves that race open.
   */
  update?(id: string, session: SessionData): Promise<boolean>
  /**
   * The unexpired sessions of the user `sub` (session management: "where am I signed in").
   * Optional: without it (and `deleteUserSessions`) a store serves sessions but not their listing.
   */
  listUserSessions?(sub: string): Promise<SessionData[]>
  /** Deletes every session of the user `sub` ("sign out everywhere"); the number deleted. */
  deleteUserSessions?(sub: string): Promise<number>
  /**
   * The unexpired sessions whose `idpSid` is `sid`: how a back-channel logout token carrying only
   * `sid` (no `sub`) finds its sessions. Optional: without it such a token is refused
   * (`ERR_LOGOUT_SID_UNSUPPORTED`); tokens with `sub` need only `listUserSessions`.
   */
  listSessionsByIdpSid?(sid: string): Promise<SessionData[]>
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

  async update(id: string, session: SessionData): Promise<boolean> {
    const current = this.#sessions.get(id)
    if (current === undefined || current.expiresAt * 1000 <= this.#now()) return false
    await this.set(id, session)
    return true
  }

  async delete(id: string): Promise<void> {
    this.#sessions.delete(id)
  }

  /** The user's unexpired sessions: a scan of this process's map (bounded by `maxEntries`). */
  async listUserSessions(sub: string): Promise<SessionData[]> {
    const now = this.#now()
    return [...this.#sessions.values()]
      .filter((session) => session.user.sub === sub && session.expiresAt * 1000 > now)
      .map((session) => structuredClone(session))
  }

  async deleteUserSessions(sub: string): Promise<number> {
    const now = this.#now()
    let deleted = 0
    for (const [id, session] of this.#sessions) {
      if (session.user.sub !== sub) continue
      this.#sessions.delete(id)
      // An expired session was already gone for every reader: it is not counted as signed out.
      if (session.expiresAt * 1000 > now) deleted++
    }
    return deleted
  }

  /** The unexpired sessions of one provider session: a scan, like `listUserSessions`. */
  async listSessionsByIdpSid(sid: string): Promise<SessionData[]> {
    const now = this.#now()
    return [...this.#sessions.values()]
      .filter((session) => session.idpSid === sid && session.expiresAt * 1000 > now)
      .map((session) => structuredClone(session))
  }

  /** Sessions currently held (expired ones included until read). */
  get size(): number {
    return this.#sessions.size
  }
}
