/**
 * Throttling of client authentication, per `client_id` and per caller address, in a shared
 * `RateLimitStore`. Only failures are counted: before verifying, the counters are read (`peek`, no
 * write); over a limit, the caller gets 429 and no verification at all; a failed verification is
 * then counted with an atomic `hit`. A successful one writes nothing, so a busy client's
 * concurrent requests never contend on its counter, and are never throttled by their own number.
 *
 * What holds under concurrency: every failure is counted exactly once (the store's atomic hit),
 * and once a counter reaches its limit no request is verified until the window ends, so no answer
 * can reveal a correct secret. What does not hold exactly: requests already past the read when the
 * limit is reached are still verified, so a window admits `limit` failures plus those in flight at
 * that moment. A secret here has 256 random bits (and an assertion is signed), so a few more
 * guesses change nothing; the throttle exists to cut floods and noise. Counting before verifying
 * would bound them exactly, at the price of a contended write per request and of a busy client's
 * in-flight requests counting against its own limit.
 *
 * A client's failures also make it wait until the window ends (anyone knowing its `client_id` can
 * do that): the price of any per-account throttle. A success does not clear them.
 */
import type { ResolvedTokenServer } from './options.js'
import { TokenRequestError } from './respond.js'

// Longer ids are refused by the registry anyway; they share one counter instead of growing keys.
const MAX_KEY_ID = 256

export interface Attempt {
  counters: Array<{ key: string; limit: number }>
}

function throttled(server: ResolvedTokenServer, resetAt: number): TokenRequestError {
  const retryAfter = Math.max(1, Math.ceil(resetAt - server.now() / 1000))
  // RFC 6749 has no code for throttling; invalid_client with 429 tells a client it did not get in.
  return new TokenRequestError(
    'invalid_client',
    'Too many failed client authentications; try again later',
    429,
    {
      'retry-after': String(retryAfter),
    },
  )
}

/** Reads the counters; throws a 429 `invalid_client` with `Retry-After` when one is at its limit. */
export async function checkAttempt(
  server: ResolvedTokenServer,
  clientId: string,
  address: string | undefined,
): Promise<Attempt> {
  const counters = [
    {
      key: `oauth-token:client:${clientId.length <= MAX_KEY_ID ? clientId : '(overlong)'}`,
      limit: server.perClient,
    },
  ]
  if (address !== undefined && address !== '') {
    counters.push({ key: `oauth-token:address:${address.slice(0, MAX_KEY_ID)}`, limit: server.perAddress })
  }
  const counts = await Promise.all(counters.map(({ key }) => server.rateLimit.peek(key)))
  let resetAt = 0
  counts.forEach((count, index) => {
    if (count !== undefined && count.count >= (counters[index]?.limit ?? 0)) {
      resetAt = Math.max(resetAt, count.resetAt)
    }
  })
  if (resetAt > 0) throw throttled(server, resetAt)
  return { counters }
}

/** Counts a failed authentication on every counter of the attempt. */
export async function countFailure(server: ResolvedTokenServer, attempt: Attempt): Promise<void> {
  await Promise.all(attempt.counters.map(({ key }) => server.rateLimit.hit(key, server.windowSeconds)))
}
