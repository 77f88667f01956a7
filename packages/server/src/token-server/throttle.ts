/**
 * Throttling of failed client authentication, per caller address and per `client_id`, in a
 * shared `RateLimitStore`. Only failures are counted (an atomic `hit` after a failed
 * verification); a success writes nothing, so a busy client's concurrent requests never contend
 * on a counter and are never throttled by their own number.
 *
 * The two limits do different jobs:
 * - **Per address** (with `clientAddress`): a flood guard. Before verifying, the address's counter
 *   is read (`peek`, no write); at its limit every request from it gets 429 and no verification
 *   at all, right credentials included, until the window ends. Only that address waits.
 * - **Per client**: failures beyond the limit are answered 429 instead of 401, but right
 *   credentials still pass. A client id is no secret (every token carries it in `sub` and
 *   `client_id`), so a per-client lock would let anyone shut a client out by sending wrong
 *   secrets in its name; and there is nothing to guess: secrets have 256 random bits and
 *   assertions are signatures.
 *
 * Under concurrency every failure is counted exactly once, on every instance sharing the store.
 * Requests already past the address's read when it reaches its limit are still verified, so a
 * window admits `perAddress` failures plus those in flight at that moment; counting every attempt
 * before verifying would bound them exactly, at the price of a contended write per request.
 */
import type { ResolvedTokenServer } from './options.js'
import { TokenRequestError } from './respond.js'

// Longer ids are refused by the registry anyway; they share one counter instead of growing keys.
const MAX_KEY_ID = 256

export interface Attempt {
  clientKey: string
  addressKey: string | undefined
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

/** Reads the address's counter; throws a 429 `invalid_client` with `Retry-After` at its limit. */
export async function checkAttempt(
  server: ResolvedTokenServer,
  clientId: string,
  address: string | undefined,
): Promise<Attempt> {
  const clientKey = `oauth-token:client:${clientId.length <= MAX_KEY_ID ? clientId : '(overlong)'}`
  if (address === undefined || address === '') return { clientKey, addressKey: undefined }
  const addressKey = `oauth-token:address:${address.slice(0, MAX_KEY_ID)}`
  const count = await server.rateLimit.peek(addressKey)
  if (count !== undefined && count.count >= server.perAddress) throw throttled(server, count.resetAt)
  return { clientKey, addressKey }
}

/**
 * Counts a failed authentication on both counters. Returns the 429 to answer when either is now
 * past its limit, else undefined (the caller answers 401).
 */
export async function countFailure(
  server: ResolvedTokenServer,
  attempt: Attempt,
): Promise<TokenRequestError | undefined> {
  const [client, address] = await Promise.all([
    server.rateLimit.hit(attempt.clientKey, server.windowSeconds),
    attempt.addressKey === undefined
      ? undefined
      : server.rateLimit.hit(attempt.addressKey, server.windowSeconds),
  ])
  let resetAt = 0
  if (client.count > server.perClient) resetAt = client.resetAt
  if (address !== undefined && address.count > server.perAddress) resetAt = Math.max(resetAt, address.resetAt)
  return resetAt > 0 ? throttled(server, resetAt) : undefined
}
