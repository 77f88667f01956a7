/** The memory store against the CredentialStore contract (the PostgreSQL store runs the same function). */
import { credentialStoreContract, passkeyCredential } from '@org/test-kit/store-contracts'
import { expect, it } from 'vitest'
import { MemoryCredentialStore } from '../src/index.js'

credentialStoreContract('memory', async () => new MemoryCredentialStore())

it('refuses a credential beyond maxEntries with a typed error', async () => {
  const store = new MemoryCredentialStore({ maxEntries: 1 })
  await store.create(passkeyCredential('a'))
  await expect(store.create(passkeyCredential('b'))).rejects.toMatchObject({
    code: 'ERR_PASSKEY_STORE_FULL',
    status: 503,
  })
  await expect(store.create(passkeyCredential('a'))).resolves.toBe(false)
})
