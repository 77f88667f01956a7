/**
 * The `CredentialStore` contract of @org/auth-passkeys, restated structurally as in
 * store-contracts.ts: the memory store and the PostgreSQL store (PGlite and a server) run it.
 * The two writes that decide security are raced: `create` (one credential id, one owner) and
 * `recordUse` (a compare-and-set of the signature counter).
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'

export interface PasskeyCredentialLike {
  id: string
  userId: string
  publicKey: string
  counter: number
  transports: string[]
  aaguid: string
  providerName: string | null
  name: string
  attestationFormat: string
  backupEligible: boolean
  backedUp: boolean
  createdAt: number
  lastUsedAt: number | null
}

export interface CredentialStoreLike {
  create(credential: PasskeyCredentialLike): Promise<boolean>
  get(id: string): Promise<PasskeyCredentialLike | undefined>
  list(
    userId: string,
    offset: number,
    limit: number,
  ): Promise<{ credentials: PasskeyCredentialLike[]; total: number }>
  recordUse(
    id: string,
    expectedCounter: number,
    use: { counter: number; backedUp: boolean; lastUsedAt: number },
  ): Promise<boolean>
  rename(id: string, name: string): Promise<boolean>
  delete(id: string): Promise<boolean>
}

const RACERS = 20

export function passkeyCredential(
  id: string,
  overrides: Partial<PasskeyCredentialLike> = {},
): PasskeyCredentialLike {
  return {
    id,
    userId: 'user-1',
    publicKey:
      'pQECAyYgASFYIBe2kbE2m0xxK3MmcXvAKKR6CDzaeHUwK6HoCYbxUPq-IlggXg9VyH8Vp0f4S0jjzlVD5B0Dw0gQ1ew5IH6rZS0eaSo',
    counter: 0,
    transports: ['internal', 'hybrid'],
    aaguid: 'fbfc3007-154e-4ecc-8c0b-6e020557d7bd',
    providerName: 'iCloud Keychain',
    name: 'iCloud Keychain ✓',
    attestationFormat: 'none',
    backupEligible: true,
    backedUp: true,
    createdAt: 1_700_000_000,
    lastUsedAt: null,
    ...overrides,
  }
}

/** Runs the `CredentialStore` contract against fresh stores from `make`. */
export function credentialStoreContract(name: string, make: () => Promise<CredentialStoreLike>): void {
  describe(`CredentialStore contract: ${name}`, () => {
    it('creates once per credential id, whoever the user, and reads back copies', async () => {
      const store = await make()
      const record = passkeyCredential('cred-1')
      await expect(store.create(record)).resolves.toBe(true)
      await expect(store.create(passkeyCredential('cred-1', { userId: 'user-2' }))).resolves.toBe(false)
      const read = await store.get('cred-1')
      expect(read).toEqual(passkeyCredential('cred-1'))
      read?.transports.push('usb')
      record.transports.push('nfc')
      await expect(store.get('cred-1')).resolves.toEqual(passkeyCredential('cred-1'))
      await expect(store.get('cred-2')).resolves.toBeUndefined()
      await expect(store.list('user-2', 0, 10)).resolves.toEqual({ credentials: [], total: 0 })
    })

    it('lets exactly one of concurrent creations of the same id win', async () => {
      const store = await make()
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          store.create(passkeyCredential('raced', { userId: `user-${i}` })),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      await expect(store.get('raced')).resolves.toMatchObject({ userId: `user-${winner}` })
    })

    it("lists a user's credentials oldest first, paged, with the user's total", async () => {
      const store = await make()
      for (let i = 0; i < 5; i++) {
        await store.create(passkeyCredential(`c${4 - i}`, { createdAt: 1_700_000_000 + i }))
      }
      await store.create(passkeyCredential('same-time-b', { createdAt: 1_800_000_000 }))
      await store.create(passkeyCredential('same-time-a', { createdAt: 1_800_000_000 }))
      await store.create(passkeyCredential('other', { userId: 'user-2' }))
      const all = await store.list('user-1', 0, 100)
      expect(all.total).toBe(7)
      expect(all.credentials.map((c) => c.id)).toEqual([
        'c4',
        'c3',
        'c2',
        'c1',
        'c0',
        'same-time-a',
        'same-time-b',
      ])
      const page = await store.list('user-1', 2, 2)
      expect(page).toEqual({
        credentials: [
          passkeyCredential('c2', { createdAt: 1_700_000_002 }),
          passkeyCredential('c1', { createdAt: 1_700_000_003 }),
        ],
        total: 7,
      })
      await expect(store.list('user-1', 10, 5)).resolves.toEqual({ credentials: [], total: 7 })
      await expect(store.list('user-1', 0, 0)).resolves.toEqual({ credentials: [], total: 7 })
    })

    it('moves the counter by compare-and-set, one winner among racers', async () => {
      const store = await make()
      await store.create(passkeyCredential('cas', { counter: 3 }))
      await expect(store.recordUse('cas', 2, { counter: 9, backedUp: false, lastUsedAt: 1 })).resolves.toBe(
        false,
      )
      await expect(
        store.recordUse('missing', 3, { counter: 4, backedUp: false, lastUsedAt: 1 }),
      ).resolves.toBe(false)
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          store.recordUse('cas', 3, { counter: 4 + i, backedUp: false, lastUsedAt: 1_700_000_100 + i }),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      await expect(store.get('cas')).resolves.toEqual(
        passkeyCredential('cas', {
          counter: 4 + winner,
          backedUp: false,
          lastUsedAt: 1_700_000_100 + winner,
        }),
      )
    })

    it('renames and deletes, answering false for a credential that is gone', async () => {
      const store = await make()
      await store.create(passkeyCredential('r'))
      await expect(store.rename('r', 'Work laptop 💻')).resolves.toBe(true)
      await expect(store.get('r')).resolves.toMatchObject({ name: 'Work laptop 💻' })
      await expect(store.delete('r')).resolves.toBe(true)
      await expect(store.delete('r')).resolves.toBe(false)
      await expect(store.rename('r', 'x')).resolves.toBe(false)
      await expect(store.get('r')).resolves.toBeUndefined()
      await expect(store.list('user-1', 0, 10)).resolves.toEqual({ credentials: [], total: 0 })
    })

    it('keeps hostile ids and user ids distinct', async () => {
      const store = await make()
      for (const key of HOSTILE_KEYS) {
        await expect(store.create(passkeyCredential(`id-${key}`, { userId: key }))).resolves.toBe(true)
      }
      for (const key of HOSTILE_KEYS) {
        await expect(store.get(`id-${key}`)).resolves.toMatchObject({ userId: key })
        const mine = await store.list(key, 0, 10)
        expect(mine.total).toBe(1)
        expect(mine.credentials[0]?.id).toBe(`id-${key}`)
      }
    })
  })
}
