/**
 * The `DelegationStore` contract of @org/auth-server (MFA state and pending changes), restated
 * structurally as in store-contracts.ts: the memory store and the Redis and PostgreSQL stores run it.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'

export interface MfaChangeSessionLike {
  id: string
  spId: string
  userId: string
  method: 'email' | 'sms' | 'totp'
  email: string | null
  phoneNumber: string | null
  codeDigest: string | null
  totpSecret: string | null
  expiresAt: number
  attempts: number
}

export interface CredentialLike {
  method: 'email' | 'sms' | 'totp' | null
  email: string | null
  phoneNumber: string | null
  totpSecret: string | null
  updatedAt: number
}

export interface DelegationStoreLike {
  getCredentials(spId: string, userId: string): Promise<CredentialLike | undefined>
  putCredentials(spId: string, userId: string, record: CredentialLike): Promise<void>
  putSession(session: MfaChangeSessionLike): Promise<void>
  recordAttempt(spId: string, sessionId: string, userId: string): Promise<MfaChangeSessionLike | undefined>
  takeSession(spId: string, sessionId: string): Promise<MfaChangeSessionLike | undefined>
}

const RACERS = 25

const credentials: CredentialLike = {
  method: 'totp',
  email: null,
  phoneNumber: null,
  totpSecret: 'JBSWY3DPEHPK3PXP',
  updatedAt: 1,
}

export function sessionRecord(
  id: string,
  overrides: Partial<MfaChangeSessionLike> = {},
): MfaChangeSessionLike {
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
export function delegationStoreContract(name: string, make: () => Promise<DelegationStoreLike>): void {
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

    it('keeps hostile provider, user and session ids apart', async () => {
      const store = await make()
      for (const [i, key] of HOSTILE_KEYS.entries()) {
        await store.putSession(sessionRecord(`s-${key}`, { spId: key, userId: key }))
        await store.putCredentials(key, key, { ...credentials, updatedAt: i })
      }
      for (const [i, key] of HOSTILE_KEYS.entries()) {
        await expect(store.getCredentials(key, key), key).resolves.toEqual({ ...credentials, updatedAt: i })
        await expect(store.recordAttempt(key, `s-${key}`, key), key).resolves.toMatchObject({ attempts: 1 })
      }
      // Lone surrogates stay distinct: one user cannot count attempts on the other's session.
      await expect(store.recordAttempt('a\uD800', 's-a\uD800', 'a\uDC00')).resolves.toBeUndefined()
      for (const key of HOSTILE_KEYS) {
        await expect(store.takeSession(key, `s-${key}`), key).resolves.toMatchObject({
          userId: key,
          spId: key,
        })
      }
    })
  })
}
