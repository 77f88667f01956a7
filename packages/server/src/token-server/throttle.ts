/**
 * Throttling of client authentication, per `client_id` and per caller address, in a shared
 * `RateLimitStore`. The store only counts (`hit`) and forgets (`reset`): it cannot be read without
 * counting. So every authentication attempt is counted BEFORE the secret is verified, and a
 * success forgets both counters: what a counter holds is the attempts that have not succeeded
 * since the window opened, i.e. the failures plus the one in flight. Checking first means a
 * throttled caller gets no verification at all, not even a slow one.
 *
 * Trade-off, documented in the README: a caller holding one valid client's credentials clears its
 * own address's counter with each success, but never another client's counter, which is what
 * guards that client's secret. Counting a client's failures also lets a flood of wrong secrets
 * make that client wait until the window ends: the price of any per-account throttle.
 */
import type { ResolvedTokenServer } from './options.js'
import { TokenRequestError } from './respond.js'

// Longer ids are refused by the registry anyway; they share one counter instead of growing keys.
const MAX_KEY_ID = 256

export interface Attempt {
  keys: string[]
}

/** Counts the attempt; throws a 429 `invalid_client` with `Retry-After` when over a limit. */
export async function countAttempt(
  server: ResolvedTokenServer,
  clientId: string,
  address: string | undefined,
): Promise<Attempt> {
  const clientKey = `oauth-token:client:${clientId.length <= MAX_KEY_ID ? clientId : '(overlong)'}`
  const counted: Array<{ key: string; limit: number }> = [{ key: clientKey, limit: server.perClient }]
  if (address !== undefined && address !== '') {
    counted.push({ key: `oauth-token:address:${address.slice(0, MAX_KEY_ID)}`, limit: server.perAddress })
  }
  const counts = await Promise.all(counted.map(({ key }) => server.rateLimit.hit(key, server.windowSeconds)))
  let resetAt = 0
  counts.forEach((count, index) => {
    if (count.count > (counted[index]?.limit ?? 0)) resetAt = Math.max(resetAt, count.resetAt)
  })
  if (resetAt > 0) {
    const retryAfter = Math.max(1, Math.ceil(resetAt - server.now() / 1000))
    // RFC 6749 has no code for throttling; invalid_client with 429 tells a client it did not get in.
    throw new TokenRequestError(
      'invalid_client',
      'Too many failed client authentications; try again later',
      429,
      {
        'retry-after': String(retryAfter),
      },
    )
  }
  return { keys: counted.map(({ key }) => key) }
}

/** The client authenticated: its attempts (and its address's) start again from zero. */
export async function forgetAttempts(server: ResolvedTokenServer, attempt: Attempt): Promise<void> {
  await Promise.all(attempt.keys.map((key) => server.rateLimit.reset(key)))
}
