/**
 * Redis stores for the toolkit, on a node-redis client the application connects and owns:
 * sessions with a per-user index, single-use values, rate-limit counters, and the delegation
 * service's MFA state.
 */
export { type RedisScriptClient, RedisStoreError, type RedisStoreOptions } from './client.js'
export { RedisDelegationStore } from './delegation-store.js'
export { RedisOneTimeStore } from './one-time-store.js'
export { RedisRateLimitStore } from './rate-limit-store.js'
export { RedisSessionStore } from './session-store.js'
