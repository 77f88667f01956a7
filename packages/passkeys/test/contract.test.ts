/** The memory store against the CredentialStore contract (the PostgreSQL store runs the same function). */
import { credentialStoreContract } from '@org/test-kit/store-contracts'
import { MemoryCredentialStore } from '../src/index.js'

credentialStoreContract('memory', async () => new MemoryCredentialStore())
