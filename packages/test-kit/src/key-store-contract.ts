/**
 * The `KeyStore` contract of @org/auth-server (the token server's signing keys), restated
 * structurally as in store-contracts.ts: the memory store and the PostgreSQL store run it. The
 * store keeps records; the key ring decides states, so there is no clock here. Sealed private
 * keys are opaque text to the store; the strings below stand in for them.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'

export interface KeyRecordLike {
  kid: string
  alg: 'EdDSA' | 'ES256' | 'RS256' | 'PS256'
  publicJwk: Record<string, unknown>
  encryptedPrivateKey: string
  createdAt: number
  activatesAt: number
  retiredAt: number | null
  expiresAt: number | null
}

export interface KeyStoreLike {
  insert(record: KeyRecordLike): Promise<boolean>
  get(kid: string): Promise<KeyRecordLike | undefined>
  list(): Promise<KeyRecordLike[]>
  retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean>
}

const RACERS = 20
const T = 1_800_000_000_123

export function keyRecord(kid: string, overrides: Partial<KeyRecordLike> = {}): KeyRecordLike {
  return {
    kid,
    alg: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ', kid, alg: 'ES256', use: 'sig' },
    encryptedPrivateKey: `a256gcm-v1$kekid$iv$sealed-${kid.length}`,
    createdAt: T,
    activatesAt: T + 3_600_000,
    retiredAt: null,
    expiresAt: null,
    ...overrides,
  }
}

/** Runs the `KeyStore` contract against fresh stores from `make`. */
export function keyStoreContract(name: string, make: () => Promise<KeyStoreLike>): void {
  describe(`KeyStore contract: ${name}`, () => {
    it('inserts once, reads back exactly what was stored (millisecond times), and hands out copies', async () => {
      const store = await make()
      const record = keyRecord('k1', { retiredAt: T + 7_200_001, expiresAt: T + 7_800_999 })
      await expect(store.insert(record)).resolves.toBe(true)
      await expect(store.insert(keyRecord('k1', { alg: 'RS256' }))).resolves.toBe(false)
      const read = await store.get('k1')
      expect(read).toEqual(record)
      if (read !== undefined) read.publicJwk.d = 'private'
      record.publicJwk.x = 'changed after insert'
      await expect(store.get('k1')).resolves.toEqual(
        keyRecord('k1', { retiredAt: T + 7_200_001, expiresAt: T + 7_800_999 }),
      )
    })

    it('answers undefined or false for unknown kids, and creates nothing', async () => {
      const store = await make()
      await expect(store.get('unknown')).resolves.toBeUndefined()
      await expect(store.retire('unknown', T, T)).resolves.toBe(false)
      await expect(store.list()).resolves.toEqual([])
    })

    it('lists every key by activation time, then kid', async () => {
      const store = await make()
      await store.insert(keyRecord('c', { activatesAt: T + 2 }))
      await store.insert(keyRecord('b', { activatesAt: T + 1 }))
      await store.insert(keyRecord('a', { activatesAt: T + 2 }))
      await store.insert(keyRecord('z', { activatesAt: T, retiredAt: T, expiresAt: T }))
      expect((await store.list()).map((record) => record.kid)).toEqual(['z', 'b', 'a', 'c'])
    })

    it('retires a key, keeping the earlier retirement and end of publication', async () => {
      const store = await make()
      await store.insert(keyRecord('k1'))
      await store.insert(keyRecord('k2'))
      await expect(store.retire('k1', T + 10_000, T + 20_000)).resolves.toBe(true)
      await expect(store.get('k1')).resolves.toMatchObject({ retiredAt: T + 10_000, expiresAt: T + 20_000 })
      // Later times change nothing; an earlier end of publication (a compromised key) wins.
      await store.retire('k1', T + 50_000, T + 60_000)
      await expect(store.get('k1')).resolves.toMatchObject({ retiredAt: T + 10_000, expiresAt: T + 20_000 })
      await store.retire('k1', T + 15_000, T + 15_000)
      await expect(store.get('k1')).resolves.toMatchObject({ retiredAt: T + 10_000, expiresAt: T + 15_000 })
      await expect(store.get('k2')).resolves.toMatchObject({ retiredAt: null, expiresAt: null })
    })

    it('keeps the earliest of concurrent retirements', async () => {
      const store = await make()
      await store.insert(keyRecord('k1'))
      await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          store.retire('k1', T + 1000 * (RACERS - i), T + 5000 * (i + 1)),
        ),
      )
      await expect(store.get('k1')).resolves.toMatchObject({ retiredAt: T + 1000, expiresAt: T + 5000 })
    })

    it('lets exactly one of concurrent inserts of a kid through', async () => {
      const store = await make()
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => store.insert(keyRecord('k1', { createdAt: T + i }))),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      await expect(store.get('k1')).resolves.toEqual(keyRecord('k1', { createdAt: T + winner }))
    })

    it('keeps hostile kids distinct and reads them back as written', async () => {
      const store = await make()
      for (const kid of HOSTILE_KEYS) await expect(store.insert(keyRecord(kid))).resolves.toBe(true)
      for (const kid of HOSTILE_KEYS) await expect(store.get(kid)).resolves.toEqual(keyRecord(kid))
      const listed = (await store.list()).map((record) => record.kid)
      expect([...listed].sort()).toEqual([...HOSTILE_KEYS].sort())
    })
  })
}
