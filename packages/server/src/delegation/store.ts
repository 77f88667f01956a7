import type { MfaMethod } from '@org/auth-core/delegation'

/**
 * A user's MFA state at the identity provider. Users are scoped by service provider: one provider
 * never reads or changes another's users.
 */
export interface CredentialRecord {
  method: MfaMethod | null
  email: string | null
  phoneNumber: string | null
  /** Base32 TOTP secret of an enrolled authenticator. Secret: never returned by the protocol. */
  totpSecret: string | null
  /** Seconds since the epoch of the last change. */
  updatedAt: number
}

/** A pending MFA change, waiting for its code. */
export interface MfaChangeSessionRecord {
  /** Random, 32 bytes base64url: the `session_id` of the protocol. */
  id: string
  spId: string
  userId: string
  method: MfaMethod
  email: string | null
  phoneNumber: string | null
  /** Email and SMS: SHA-256 digest (base64url) of the session id and the code, never the code. */
  codeDigest: string | null
  /** TOTP: the base32 secret being enrolled. */
  totpSecret: string | null
  /** Seconds since the epoch after which the session is refused. */
  expiresAt: number
  /** Wrong codes so far. */
  attempts: number
}

/**
 * Where the delegation service keeps users' MFA state and pending changes. Implementations must
 * make `recordFailedAttempt` and `takeSession` atomic: they are what attempt limits and single use
 * rest on when several instances share the store.
 */
export interface DelegationStore {
  getCredentials(spId: string, userId: string): Promise<CredentialRecord | undefined>
  putCredentials(spId: string, userId: string, record: CredentialRecord): Promise<void>
  /** Stores a pending change, replacing (and so invalidating) any other one of the same user. */
  putSession(session: MfaChangeSessionRecord): Promise<void>
  getSession(spId: string, sessionId: string): Promise<MfaChangeSessionRecord | undefined>
  /** Adds one wrong attempt; returns the new count, or `undefined` when the session is gone. */
  recordFailedAttempt(spId: string, sessionId: string): Promise<number | undefined>
  /** Removes a session; `true` only for the one caller that removed it (single use). */
  takeSession(spId: string, sessionId: string): Promise<boolean>
}

export interface MemoryDelegationStoreOptions {
  /** Most pending sessions kept; the oldest is dropped beyond it. Default: 10000. */
  maxSessions?: number
  /** Most users kept; adding one more throws (the state of real users must not be evicted). Default: 100000. */
  maxUsers?: number
}

/**
 * The in-memory store: for development, tests and single-instance demos. State is lost on
 * restart, and not shared between instances.
 */
export function createMemoryDelegationStore(options: MemoryDelegationStoreOptions = {}): DelegationStore {
  const maxSessions = options.maxSessions ?? 10_000
  const maxUsers = options.maxUsers ?? 100_000
  const credentials = new Map<string, CredentialRecord>()
  const sessions = new Map<string, MfaChangeSessionRecord>()
  const sessionOfUser = new Map<string, string>()
  const userKey = (spId: string, userId: string) => `${spId}\u0000${userId}`
  const sessionKey = (spId: string, id: string) => `${spId}\u0000${id}`
  const remove = (key: string) => {
    const session = sessions.get(key)
    if (session === undefined) return false
    sessions.delete(key)
    const owner = userKey(session.spId, session.userId)
    if (sessionOfUser.get(owner) === key) sessionOfUser.delete(owner)
    return true
  }
  return {
    async getCredentials(spId, userId) {
      const record = credentials.get(userKey(spId, userId))
      return record === undefined ? undefined : { ...record }
    },
    async putCredentials(spId, userId, record) {
      const key = userKey(spId, userId)
      if (!credentials.has(key) && credentials.size >= maxUsers) {
        throw new Error('The memory delegation store is full')
      }
      credentials.set(key, { ...record })
    },
    async putSession(session) {
      const owner = userKey(session.spId, session.userId)
      const previous = sessionOfUser.get(owner)
      if (previous !== undefined) remove(previous)
      const key = sessionKey(session.spId, session.id)
      sessions.set(key, { ...session })
      sessionOfUser.set(owner, key)
      if (sessions.size > maxSessions) remove(sessions.keys().next().value as string)
    },
    async getSession(spId, sessionId) {
      const session = sessions.get(sessionKey(spId, sessionId))
      return session === undefined ? undefined : { ...session }
    },
    async recordFailedAttempt(spId, sessionId) {
      const session = sessions.get(sessionKey(spId, sessionId))
      if (session === undefined) return undefined
      session.attempts += 1
      return session.attempts
    },
    async takeSession(spId, sessionId) {
      return remove(sessionKey(spId, sessionId))
    },
  }
}
