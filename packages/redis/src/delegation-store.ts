import type { CredentialRecord, DelegationStore, MfaChangeSessionRecord } from '@org/auth-server'
import {
  exat,
  parseJson,
  part,
  prefixOf,
  type RedisScriptClient,
  RedisStoreError,
  type RedisStoreOptions,
  run,
} from './client.js'

// Every key of one service provider carries the same hash tag (`{<spId>}`): replacing a user's
// pending change touches the user's pointer and two sessions in one script, and in Redis Cluster
// a script's keys must share a slot. MFA changes are rare, so one slot per provider is no hot spot.
const GET = "return redis.call('GET', KEYS[1])"
const SET = "redis.call('SET', KEYS[1], ARGV[1]) return 1"
// KEYS: the user's pointer, the new session, the session the pointer held when read (or the new
// one). Compare-and-set on the pointer: when another putSession moved it since, nothing is
// written and the caller reads it again, so a user never keeps two pending changes.
const PUT_SESSION = `
local previous = redis.call('GET', KEYS[1]) or ''
if previous ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[3], KEYS[2])
redis.call('HSET', KEYS[2], 'record', ARGV[2], 'user', ARGV[3], 'attempts', ARGV[4])
redis.call('EXPIREAT', KEYS[2], ARGV[5])
redis.call('SET', KEYS[1], ARGV[6], 'EXAT', ARGV[5])
return 1`
// Counted before any code is compared: N concurrent guesses get N distinct counts.
const RECORD_ATTEMPT = `
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return false end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {redis.call('HGET', KEYS[1], 'record'), attempts}`
// Read and delete in one script: exactly one caller gets the session.
const TAKE_SESSION = `
local values = redis.call('HMGET', KEYS[1], 'record', 'attempts')
if not values[1] then return false end
redis.call('DEL', KEYS[1])
return {values[1], tonumber(values[2])}`
// A pending change stays readable this long past its `expiresAt`, so the service still finds it
// and answers "expired" (its own check) rather than "unknown session"; Redis drops it after.
const GRACE_SECONDS = 3600
const PUT_TRIES = 10

/**
 * `@org/auth-server`'s `DelegationStore` on Redis: users' MFA state and pending changes, shared
 * by every instance of the delegation service, with atomic attempt counting and single-use take.
 * Keys are `<prefix>delegation:{<spId>}:…`.
 */
export class RedisDelegationStore implements DelegationStore {
  readonly #client: RedisScriptClient
  readonly #prefix: string

  constructor(client: RedisScriptClient, options: RedisStoreOptions = {}) {
    this.#client = client
    this.#prefix = prefixOf(options)
  }

  async getCredentials(spId: string, userId: string): Promise<CredentialRecord | undefined> {
    const reply = await run(
      this.#client,
      'read MFA credentials',
      GET,
      [this.#key(spId, 'credentials', userId)],
      [],
    )
    return parseJson<CredentialRecord>(reply, 'read MFA credentials')
  }

  async putCredentials(spId: string, userId: string, record: CredentialRecord): Promise<void> {
    const key = this.#key(spId, 'credentials', userId)
    await run(this.#client, 'write MFA credentials', SET, [key], [JSON.stringify(record)])
  }

  async putSession(session: MfaChangeSessionRecord): Promise<void> {
    const { attempts, ...record } = session
    const pointer = this.#key(session.spId, 'pending', session.userId)
    const key = this.#key(session.spId, 'session', session.id)
    const until = exat(session.expiresAt + GRACE_SECONDS)
    for (let tries = 0; tries < PUT_TRIES; tries++) {
      const previous = await run(this.#client, 'store an MFA change', GET, [pointer], [])
      const expected = typeof previous === 'string' ? previous : ''
      const previousKey = expected === '' ? key : `${this.#base(session.spId)}session:${expected}`
      const args = [
        expected,
        JSON.stringify(record),
        part(session.userId),
        String(attempts),
        until,
        part(session.id),
      ]
      const stored = await run(
        this.#client,
        'store an MFA change',
        PUT_SESSION,
        [pointer, key, previousKey],
        args,
      )
      if (Number(stored) === 1) return
    }
    throw new RedisStoreError('store an MFA change', new Error(`the pending change moved ${PUT_TRIES} times`))
  }

  async recordAttempt(
    spId: string,
    sessionId: string,
    userId: string,
  ): Promise<MfaChangeSessionRecord | undefined> {
    const key = this.#key(spId, 'session', sessionId)
    const reply = await run(this.#client, 'count an MFA attempt', RECORD_ATTEMPT, [key], [part(userId)])
    return this.#session(reply, 'count an MFA attempt')
  }

  async takeSession(spId: string, sessionId: string): Promise<MfaChangeSessionRecord | undefined> {
    const key = this.#key(spId, 'session', sessionId)
    return this.#session(
      await run(this.#client, 'take an MFA change', TAKE_SESSION, [key], []),
      'take an MFA change',
    )
  }

  #session(reply: unknown, operation: string): MfaChangeSessionRecord | undefined {
    if (reply === null || reply === undefined) return undefined
    if (!Array.isArray(reply)) throw new RedisStoreError(operation, new TypeError('not an array reply'), true)
    const record = parseJson<Omit<MfaChangeSessionRecord, 'attempts'>>(reply[0], operation)
    if (record === undefined) return undefined
    return { ...record, attempts: Number(reply[1]) }
  }

  #base(spId: string): string {
    return `${this.#prefix}delegation:{${part(spId)}}:`
  }

  #key(spId: string, kind: 'credentials' | 'pending' | 'session', id: string): string {
    return `${this.#base(spId)}${kind}:${part(id)}`
  }
}
