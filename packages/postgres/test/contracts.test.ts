/** The PostgreSQL stores against the store contracts that the memory and Redis stores pass. */
import {
  clientStoreContract,
  credentialStoreContract,
  delegationStoreContract,
  keyStoreContract,
  oneTimeStoreContract,
  rateLimitStoreContract,
  realClock,
  revocationStoreContract,
  sessionIdpSidContract,
  sessionIndexContract,
  sessionStoreContract,
} from '@org/test-kit/store-contracts'
import { describe } from 'vitest'
import {
  PostgresClientStore,
  PostgresCredentialStore,
  PostgresDelegationStore,
  PostgresKeyStore,
  PostgresOneTimeStore,
  PostgresRateLimitStore,
  PostgresRevocationStore,
  PostgresSessionStore,
  type Queryable,
} from '../src/index.js'
import { skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

// Databases keep their own time (`now()`): the contracts wait on the real clock.
function contracts(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh } = database
  oneTimeStoreContract(label, async () => new PostgresOneTimeStore(db(), await fresh()), realClock)
  sessionStoreContract(label, async () => new PostgresSessionStore(db(), await fresh()), realClock)
  sessionIndexContract(label, async () => new PostgresSessionStore(db(), await fresh()), realClock)
  sessionIdpSidContract(label, async () => new PostgresSessionStore(db(), await fresh()), realClock)
  delegationStoreContract(label, async () => new PostgresDelegationStore(db(), await fresh()))
  rateLimitStoreContract(label, async () => new PostgresRateLimitStore(db(), await fresh()), realClock)
  clientStoreContract(label, async () => new PostgresClientStore(db(), await fresh()), realClock)
  keyStoreContract(label, async () => new PostgresKeyStore(db(), await fresh()))
  revocationStoreContract(label, async () => new PostgresRevocationStore(db(), await fresh()), realClock)
  credentialStoreContract(label, async () => new PostgresCredentialStore(db(), await fresh()))
}

describe('PostgreSQL stores on PGlite (embedded)', () => {
  contracts('PGlite', usePGlite())
})

describe.skipIf(skip)('PostgreSQL stores on a server (DATABASE_URL, pg.Pool)', () => {
  contracts('pg.Pool', usePool())
})
