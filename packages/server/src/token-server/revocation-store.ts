/**
 * Where revoked access tokens are remembered (RFC 7009): by `jti`, until the token would have
 * expired anyway. After `exp` a token is refused on its own, so an entry never needs to outlive it,
 * and the store stays as small as the set of revoked, still-unexpired tokens.
 */
import { AuthError, ConfigurationError } from '@org/auth-core'

export interface RevocationStore {
  /**
   * Records `jti` as revoked until `expiresAt` (epoch seconds, the token's `exp`). Idempotent;
   * revoking again never shortens an entry. Rejects when the revocation could not be recorded:
   * the token must then be assumed still valid, and the caller told to retry.
   */
  revoke(jti: string, expiresAt: number): Promise<void>
  /** Whether `jti` is revoked and its entry unexpired. Rejects when the store cannot answer. */
  isRevoked(jti: string): Promise<boolean>
}

/**
 * The revocation store could not record a revocation: `ERR_REVOCATION_STORE_FULL` (503) when the
 * memory store is full of unexpired entries. Dropping one would un-revoke a token, so it refuses.
 */
export class RevocationStoreError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    const prototype = RevocationStoreError.prototype
    Object.defineProperty(prototype, 'name', {
      value: 'RevocationStoreError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-server/RevocationStoreError',
    })
  }
  constructor(code: string, message: string, status = 503) {
    super(code, message, status, 'temporarily_unavailable')
  }
}

export interface MemoryRevocationStoreOptions {
  /**
   * Most unexpired revocations held. When full even after dropping expired entries, `revoke`
   * rejects with `ERR_REVOCATION_STORE_FULL` (503, fail closed). Default: 100,000.
   */
  maxEntries?: number
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/**
 * The default store: a bounded map in this process. Revocations are lost on restart and not seen
 * by other instances; give every instance a shared store (`PostgresRevocationStore`) when there
 * are several, or when a revocation must survive a restart.
 */
export function createMemoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new ConfigurationError('"maxEntries" must be a whole number ≥ 1')
  }
  const now = options.now ?? Date.now
  const entries = new Map<string, number>()
  const seconds = () => Math.floor(now() / 1000)
  return {
    async revoke(jti, expiresAt) {
      const current = seconds()
      const held = entries.get(jti) ?? 0
      if (expiresAt <= current || expiresAt <= held) return
      if (!entries.has(jti) && entries.size >= maxEntries) {
        for (const [key, until] of entries) if (until <= current) entries.delete(key)
        if (entries.size >= maxEntries) {
          throw new RevocationStoreError('ERR_REVOCATION_STORE_FULL', 'The revocation store is full')
        }
      }
      entries.set(jti, expiresAt)
    },
    async isRevoked(jti) {
      const until = entries.get(jti)
      if (until === undefined) return false
      if (until > seconds()) return true
      entries.delete(jti)
      return false
    },
  }
}
