import type { MfaMethod } from '@org/auth-core/delegation'
import { DelegationStoreFullError } from './errors.js'

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
  /** Verification attempts so far, each counted before its code is compared. */
  attempts: number
}

/**
 * Where the delegation service keeps users' MFA state and pending changes.
 *
 * Every method is one store call that a shared implementation makes atomic on its own (a Redis
 * script or `MULTI`, one SQL statement or transaction): the attempt limit and single use rest on
 * `recordAttempt` and `takeSession` being atomic when several requests or instances race, and the
 * service never reads a value and then writes a decision based on it.
 */
export interface DelegationStore {
  getCredentials(spId: string, userId: string): Promise<CredentialRecord | undefined>
  putCredentials(spId: string, userId: string, record: CredentialRecord): Promise<void>
  /**
   * Stores a pending change, atomically replacing (and so invalidating) any other pending change
   * of the same user: a user never has two.
   */
  putSession(session: MfaChangeSessionRecord): Promise<void>
  /**
   * Atomically adds one to the session's `attempts` and returns the session as it is after the
   * increment (so `attempts` counts this attempt), or `undefined`, counting nothing, when there is
   * no such session for `userId`: whoever learns another user's session id cannot use up that
   * user's attempts.
   * The service calls it BEFORE comparing a code, and compares only when the count it got is
   * within the limit: N concurrent guesses get N distinct counts, so at most `maxAttempts` are
   * ever compared. Redis: a script doing `HINCRBY` then `HGETALL` on an existing key; SQL:
   * `UPDATE … SET attempts = attempts + 1 WHERE sp_id = $1 AND id = $2 AND user_id = $3 RETURNING *`.
   */
  recordAttempt(spId: string, sessionId: string, userId: string): Promise<MfaChangeSessionRecord | undefined>
  /**
   * Atomically removes the session and returns it to exactly one caller; every other caller, and
   * any caller once it is gone, gets `undefined` (single use). Redis: a script doing `HGETALL`
   * then `DEL` (or `GETDEL` on a string value); SQL: `DELETE … RETURNING *`.
   */
  takeSession(spId: string, sessionId: string): Promise<MfaChangeSessionRecord | undefined>
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
        throw new DelegationStoreFullError('The memory delegation store is full')
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
    // No await between reading and writing: each of these runs to completion on its own, which
    // is what makes them atomic in one process.
    async recordAttempt(spId, sessionId, userId) {
      const session = sessions.get(sessionKey(spId, sessionId))
      if (session === undefined || session.userId !== userId) return undefined
      session.attempts += 1
      return { ...session }
    },
    async takeSession(spId, sessionId) {
      const key = sessionKey(spId, sessionId)
      const session = sessions.get(key)
      if (session === undefined) return undefined
      remove(key)
      return session
    },
  }
}
