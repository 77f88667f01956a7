/**
 * A limit on the sign-in ceremonies one address may start (`authenticate/options`) and finish
 * (`authenticate/verify`) per window, in a shared `RateLimitStore`. These routes are open to
 * anyone: each options call records an issued challenge in the `OneTimeStore` until it expires,
 * so without a limit a single client could fill the store (memory, Redis or PostgreSQL) and spend
 * the server's signature checks. Every request is counted (an atomic `hit`), before any work, so
 * concurrent requests cannot slip past the limit together.
 */
import { ConfigurationError, type RateLimitStore } from '@org/auth-core'
import { PasskeyRateLimitError } from './errors.js'

export interface PasskeyRateLimit {
  /** Shared counters: `MemoryRateLimitStore` (one instance), `RedisRateLimitStore`, `PostgresRateLimitStore`. */
  store: RateLimitStore
  /**
   * The caller's address, from what your proxy sets (`X-Forwarded-For`'s entry your proxy added,
   * or a header of its own): a Web `Request` carries no socket address. `undefined` counts nothing.
   */
  clientAddress(request: Request): string | undefined
  /** Sign-in requests (options and verify together) per address per window. Default: 60. */
  perAddress?: number
  /** The window, in seconds. Default: 60. */
  windowSeconds?: number
}

// Longer addresses share one counter instead of growing keys.
const MAX_ADDRESS = 128

/** The check of a handler's `rateLimit` option, validated once: throws a 429 past the limit. */
export function rateLimiter(limit: PasskeyRateLimit | undefined): (request: Request) => Promise<void> {
  if (limit === undefined) return async () => {}
  const perAddress = limit.perAddress ?? 60
  const windowSeconds = limit.windowSeconds ?? 60
  if (typeof limit.store?.hit !== 'function' || typeof limit.clientAddress !== 'function') {
    throw new ConfigurationError(
      '"rateLimit" needs a "store" (a RateLimitStore) and a "clientAddress" function',
    )
  }
  if (!Number.isSafeInteger(perAddress) || perAddress < 1) {
    throw new ConfigurationError('"rateLimit.perAddress" must be a whole number, at least 1')
  }
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new ConfigurationError('"rateLimit.windowSeconds" must be a whole number of seconds, at least 1')
  }
  return async (request) => {
    const address = limit.clientAddress(request)
    if (address === undefined || address === '') return
    const key = `passkeys:sign-in:${address.length <= MAX_ADDRESS ? address : '(overlong)'}`
    const { count, resetAt } = await limit.store.hit(key, windowSeconds)
    if (count > perAddress) {
      // Within [1, window]: the store's whole-second reset time may round past the window.
      const wait = Math.ceil(resetAt - Date.now() / 1000)
      throw new PasskeyRateLimitError(Math.min(windowSeconds, Math.max(1, wait)))
    }
  }
}
