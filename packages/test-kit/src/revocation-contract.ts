/**
 * The `RevocationStore` contract (the token server's revoked `jti`s): the memory and PostgreSQL
 * stores pass the same cases. A revocation holds until the token's `exp`, is never shortened by
 * revoking again, and keeps hostile `jti`s distinct.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'
import type { ContractClock } from './store-contracts.js'

export interface RevocationStoreLike {
  revoke(jti: string, expiresAt: number): Promise<void>
  isRevoked(jti: string): Promise<boolean>
}

const secondsFromNow = (clock: ContractClock, seconds: number) => Math.ceil(clock.now() / 1000) + seconds

/** Runs the `RevocationStore` contract against fresh stores from `make`. */
export function revocationStoreContract(
  name: string,
  make: () => Promise<RevocationStoreLike>,
  clock: ContractClock,
): void {
  describe(`RevocationStore contract: ${name}`, () => {
    it('knows a revoked jti, and only that one', async () => {
      const store = await make()
      await expect(store.isRevoked('a')).resolves.toBe(false)
      await store.revoke('a', secondsFromNow(clock, 60))
      await expect(store.isRevoked('a')).resolves.toBe(true)
      await expect(store.isRevoked('b')).resolves.toBe(false)
      await expect(store.isRevoked('A')).resolves.toBe(false)
    })

    it('forgets a revocation once the token has expired', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 1)
      await store.revoke('short', expiresAt)
      await expect(store.isRevoked('short')).resolves.toBe(true)
      await clock.advance(Math.max(0, expiresAt * 1000 - clock.now()) + 150)
      await expect(store.isRevoked('short')).resolves.toBe(false)
    })

    it('holds nothing for a token that has expired already', async () => {
      const store = await make()
      await store.revoke('past', Math.floor(clock.now() / 1000) - 10)
      await expect(store.isRevoked('past')).resolves.toBe(false)
    })

    it('is idempotent and never shortens a revocation', async () => {
      const store = await make()
      const long = secondsFromNow(clock, 60)
      await store.revoke('twice', long)
      await store.revoke('twice', secondsFromNow(clock, 1))
      await Promise.all(Array.from({ length: 20 }, () => store.revoke('twice', long)))
      await clock.advance(2500)
      await expect(store.isRevoked('twice')).resolves.toBe(true)
    })

    it('keeps unicode, SQL metacharacters, NUL bytes and lone surrogates in jtis distinct', async () => {
      const store = await make()
      const expiresAt = secondsFromNow(clock, 60)
      const [first, ...rest] = HOSTILE_KEYS
      await store.revoke(first as string, expiresAt)
      await expect(store.isRevoked(first as string)).resolves.toBe(true)
      for (const key of rest) await expect(store.isRevoked(key), key).resolves.toBe(false)
      for (const key of rest) await store.revoke(key, expiresAt)
      for (const key of HOSTILE_KEYS) await expect(store.isRevoked(key), key).resolves.toBe(true)
    })
  })
}
