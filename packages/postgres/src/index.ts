/**
 * PostgreSQL stores for the toolkit, on a `pg` pool the application owns or an embedded PGlite:
 * sessions with a per-user index, single-use values, rate-limit counters, the delegation
 * service's MFA state, the token server's clients, signing keys and revoked tokens, and passkey credentials; `migrate()` creates their tables,
 * `cleanupExpired()` trims them.
 */
export {
  type CleanupHandle,
  type CleanupOptions,
  type CleanupResult,
  cleanupExpired,
  type StartCleanupOptions,
  startCleanup,
} from './cleanup.js'
export { PostgresClientStore } from './client-store.js'
export { PostgresCredentialStore } from './credential-store.js'
export {
  type Database,
  type PoolLike,
  PostgresStoreError,
  type PostgresStoreOptions,
  type Queryable,
  type TransactionalLike,
} from './database.js'
export { PostgresDelegationStore } from './delegation-store.js'
export { type EmbeddedDatabase, type EmbeddedDatabaseOptions, openEmbeddedDatabase } from './embedded.js'
export { PostgresKeyStore } from './key-store.js'
export { type MigrateResult, migrate, SCHEMA_VERSION } from './migrate.js'
export { PostgresOneTimeStore } from './one-time-store.js'
export { PostgresRateLimitStore } from './rate-limit-store.js'
export { PostgresRevocationStore } from './revocation-store.js'
export { type LeastPrivilegeRolesOptions, leastPrivilegeRoles } from './roles.js'
export { PostgresSessionStore } from './session-store.js'
