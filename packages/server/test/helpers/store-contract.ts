/**
 * The contract every `DelegationStore` and `ReplayStore` implementation passes: the memory stores
 * here, and the Redis and PostgreSQL stores with the same functions. The concurrency cases fire
 * the racing calls together; an implementation that reads and then writes in two round trips
 * fails them.
 */
import { describe, expect, it } from 'vitest'
import type { DelegationStore, MfaChangeSessionRecord, ReplayStore } from '../../src/index.js'

const RACERS = 25

export function sessionRecord(
  id: string,
  overrides: Partial<MfaChangeSessionRecord> = {},
): MfaChangeSessionRecord {
  return {
    id,
    spId: 'sp',
    userId: 'alice',
    method: 'email',
    email: 'alice@example.com',
    phoneNumber: null,
    codeDigest: 'digest',
    totpSecret: null,
    expiresAt: 2_000_000_000,
    attempts: 0,
    ...overrides,
  }
}

/** Runs the `DelegationStore` contract against fresh stores from `make`. */
export function delegationStoreContract(name: string, make: () => Promise<DelegationStore>): void {
  describe(`DelegationStore contract: ${name}`, () => {
    it('counts concurrent attempts atomically: each caller gets its own count', async () => {
      const store = await make()
      await store.putSession(sessionRecord('s1'))
      const counted = await Promise.all(
        Array.from({ length: RACERS }, () => store.recordAttempt('sp', 's1', 'alice')),
      )
      expect(counted.map((session) => session?.attempts).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: RACERS }, (_, i) => i + 1),
      )
      for (const session of counted) expect(session).toMatchObject({ id: 's1', userId: 'alice' })
      await expect(store.takeSession('sp', 's1')).resolves.toMatchObject({ attempts: RACERS })
    })

    it('takes a session once, to exactly one of concurrent callers, with what was stored', async () => {
      const store = await make()
      const stored = sessionRecord('s1', { method: 'totp', email: null, codeDigest: null, totpSecret: 'ABC' })
      await store.putSession(stored)
      await store.recordAttempt('sp', 's1', 'alice')
      const taken = await Promise.all(Array.from({ length: RACERS }, () => store.takeSession('sp', 's1')))
      const winners = taken.filter((session) => session !== undefined)
      expect(winners).toEqual([{ ...stored, attempts: 1 }])
      await expect(store.recordAttempt('sp', 's1', 'alice')).resolves.toBeUndefined()
      await expect(store.takeSession('sp', 's1')).resolves.toBeUndefined()
    })

    it('never lets a counted attempt and a take both see a session that is gone', async () => {
      const store = await make()
      await store.putSession(sessionRecord('s1'))
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          i === 10 ? store.takeSession('sp', 's1') : store.recordAttempt('sp', 's1', 'alice'),
        ),
      )
      const take = results[10]
      const counts = results.filter((_, i) => i !== 10).flatMap((session) => session?.attempts ?? [])
      // Attempts counted before the take are exactly those the taken record carries.
      expect(take?.attempts).toBe(counts.length)
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: counts.length }, (_, i) => i + 1))
    })

    it('keeps one pending session per user, even when several are stored at once', async () => {
      const store = await make()
      const ids = Array.from({ length: 10 }, (_, i) => `s${i}`)
      await Promise.all(ids.map((id) => store.putSession(sessionRecord(id))))
      const left = await Promise.all(ids.map((id) => store.takeSession('sp', id)))
      expect(left.filter((session) => session !== undefined)).toHaveLength(1)
      // Another user's and another provider's sessions are separate.
      await store.putSession(sessionRecord('a', { userId: 'alice' }))
      await store.putSession(sessionRecord('b', { userId: 'bob' }))
      await store.putSession(sessionRecord('c', { spId: 'other' }))
      await expect(store.recordAttempt('other', 'a', 'alice')).resolves.toBeUndefined()
      await expect(store.takeSession('sp', 'a')).resolves.toMatchObject({ userId: 'alice' })
      await expect(store.takeSession('sp', 'b')).resolves.toMatchObject({ userId: 'bob' })
      await expect(store.takeSession('other', 'c')).resolves.toMatchObject({ spId: 'other' })
    })

    it("counts nothing for another user's session id", async () => {
      const store = await make()
      await store.putSession(sessionRecord('s1', { userId: 'alice' }))
      await expect(store.recordAttempt('sp', 's1', 'mallory')).resolves.toBeUndefined()
      await expect(store.recordAttempt('sp', 's1', 'alice')).resolves.toMatchObject({ attempts: 1 })
    })

    it('returns copies, and scopes credentials by provider', async () => {
      const store = await make()
      await store.putSession(sessionRecord('s1'))
      const counted = await store.recordAttempt('sp', 's1', 'alice')
      if (counted === undefined) throw new Error('session missing')
      counted.attempts = 100
      await expect(store.recordAttempt('sp', 's1', 'alice')).resolves.toMatchObject({ attempts: 2 })
      const record = {
        method: 'sms' as const,
        email: null,
        phoneNumber: '+15551234567',
        totpSecret: null,
        updatedAt: 1,
      }
      await store.putCredentials('sp', 'alice', record)
      await expect(store.getCredentials('other', 'alice')).resolves.toBeUndefined()
      const read = await store.getCredentials('sp', 'alice')
      expect(read).toEqual(record)
      if (read !== undefined) read.method = 'totp'
      await expect(store.getCredentials('sp', 'alice')).resolves.toEqual(record)
    })
  })
}

/** Runs the `ReplayStore` contract; `clock.now` (milliseconds) must drive the store's time. */
export function replayStoreContract(
  name: string,
  make: (clock: { now: number }) => Promise<ReplayStore>,
): void {
  describe(`ReplayStore contract: ${name}`, () => {
    it('lets exactly one of concurrent consumers of one id through', async () => {
      const clock = { now: 1_000_000_000 }
      const store = await make(clock)
      const fresh = await Promise.all(
        Array.from({ length: RACERS }, () => store.consume('sp\u0000jti', 1_000_100)),
      )
      expect(fresh.filter(Boolean)).toHaveLength(1)
      await expect(store.consume('sp\u0000other', 1_000_100)).resolves.toBe(true)
    })

    it('remembers an id until it expires', async () => {
      const clock = { now: 1_000_000_000 }
      const store = await make(clock)
      await expect(store.consume('k', 1_000_010)).resolves.toBe(true)
      clock.now = 1_000_009_000
      await expect(store.consume('k', 1_000_010)).resolves.toBe(false)
      clock.now = 1_000_010_000
      await expect(store.consume('k', 1_000_020)).resolves.toBe(true)
    })
  })
}
