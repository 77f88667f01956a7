import type { SessionData, SessionStore } from '@org/auth-core'
import {
  exat,
  parseJson,
  part,
  prefixOf,
  type RedisScriptClient,
  type RedisStoreOptions,
  run,
  unpart,
} from './client.js'

// The session and its user's index live in different hash slots (one is found by session id, the
// other by `sub`), so no script touches both: in Redis Cluster a script's keys share one slot.
// The index is therefore a hint that readers check against the sessions themselves.
const GET = "return redis.call('GET', KEYS[1])"
const SET = "redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2]) return 1"
// XX: only over a session still there, so a renewal never brings back a revoked session.
const REPLACE = "return redis.call('SET', KEYS[1], ARGV[1], 'XX', 'EXAT', ARGV[2]) and 1 or 0"
const TAKE = "return redis.call('GETDEL', KEYS[1])"
const DEL = "return redis.call('DEL', KEYS[1])"
// The index: a sorted set of session ids scored by their expiry. Expired ids are dropped on every
// write and read (no background sweep, no SCAN), and the set itself expires with its last session.
const INDEX_ADD = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], last[2])
return 1`
const INDEX_LIST = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`
const INDEX_REMOVE = "return redis.call('ZREM', KEYS[1], unpack(ARGV))"

/**
 * The core's `SessionStore` on Redis: each session a JSON string that Redis expires at the
 * session's `expiresAt`, plus a per-user index (`listUserSessions`, `deleteUserSessions`) for
 * "sign out everywhere". Keys are `<prefix>session:{<id>}` and `<prefix>user-sessions:{<sub>}`.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisScriptClient
  readonly #prefix: string
  readonly #now: () => number

  constructor(client: RedisScriptClient, options: RedisStoreOptions = {}) {
    this.#client = client
    this.#prefix = prefixOf(options)
    this.#now = Date.now
  }

  async get(id: string): Promise<SessionData | undefined> {
    const session = parseJson<SessionData>(
      await run(this.#client, 'read a session', GET, [this.#sessionKey(id)], []),
      'read a session',
    )
    // Redis expires keys at whole seconds; the session's own expiry is the authority.
    if (session === undefined || session.expiresAt * 1000 <= this.#now()) return undefined
    return session
  }

  async set(id: string, session: SessionData): Promise<void> {
    const until = exat(session.expiresAt)
    await run(this.#client, 'write a session', SET, [this.#sessionKey(id)], [JSON.stringify(session), until])
    await run(
      this.#client,
      'index a session',
      INDEX_ADD,
      [this.#userKey(session.user.sub)],
      [part(id), until],
    )
  }

  async update(id: string, session: SessionData): Promise<boolean> {
    const until = exat(session.expiresAt)
    const key = this.#sessionKey(id)
    const replaced = await run(
      this.#client,
      'write a session',
      REPLACE,
      [key],
      [JSON.stringify(session), until],
    )
    if (Number(replaced) !== 1) return false
    // The user's index entry follows the new expiry (a revocation meanwhile leaves a stale id,
    // which readers drop).
    await run(
      this.#client,
      'index a session',
      INDEX_ADD,
      [this.#userKey(session.user.sub)],
      [part(id), until],
    )
    return true
  }

  async delete(id: string): Promise<void> {
    const session = parseJson<SessionData>(
      await run(this.#client, 'delete a session', TAKE, [this.#sessionKey(id)], []),
      'delete a session',
    )
    if (session !== undefined) await this.#unindex(session.user.sub, [id])
  }

  /** The user's unexpired sessions (any order), as stored: tokens included, so keep them server-side. */
  async listUserSessions(sub: string): Promise<SessionData[]> {
    const ids = await this.#indexed(sub)
    const sessions = await Promise.all(ids.map((id) => this.get(id)))
    // An id whose session is gone or belongs to someone else (an id reused with another user) is
    // dropped from the index: the index never outlives what it points to for long.
    const stale = ids.filter((_, i) => sessions[i]?.user.sub !== sub)
    if (stale.length > 0) await this.#unindex(sub, stale)
    return sessions.filter((session): session is SessionData => session?.user.sub === sub)
  }

  /** Deletes every session of the user ("sign out everywhere"); resolves how many were deleted. */
  async deleteUserSessions(sub: string): Promise<number> {
    const ids = await this.#indexed(sub)
    const deleted = await Promise.all(
      ids.map((id) => run(this.#client, 'delete a session', DEL, [this.#sessionKey(id)], [])),
    )
    // Only the ids read above: a session written meanwhile keeps its place in the index.
    if (ids.length > 0) await this.#unindex(sub, ids)
    return deleted.filter((count) => Number(count) === 1).length
  }

  async #indexed(sub: string): Promise<string[]> {
    const reply = await run(this.#client, "list a user's sessions", INDEX_LIST, [this.#userKey(sub)], [])
    // Members are escaped ids (`part`): a lone surrogate would not survive the UTF-8 round trip.
    return Array.isArray(reply) ? reply.map((member) => unpart(String(member))) : []
  }

  async #unindex(sub: string, ids: string[]): Promise<void> {
    await run(
      this.#client,
      "update a user's session index",
      INDEX_REMOVE,
      [this.#userKey(sub)],
      ids.map(part),
    )
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:{${part(id)}}`
  }

  #userKey(sub: string): string {
    return `${this.#prefix}user-sessions:{${part(sub)}}`
  }
}
