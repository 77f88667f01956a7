/**
 * What the stores need from a Redis connection, and the key layout they share.
 *
 * Every store operation is one `EVAL`: a single command type keeps the client interface to one
 * method (node-redis's `createClient()` and `createCluster()` both have it, with RESP2 or RESP3),
 * and a script is what makes a read-then-write atomic across instances.
 */
import { AuthError, ConfigurationError } from '@org/auth-core'

/** A connected node-redis client or cluster (`createClient()` / `createCluster()`, after `connect()`). */
export interface RedisScriptClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

export interface RedisStoreOptions {
  /**
   * Prepended to every key, so several applications (or environments) share one Redis without
   * reading each other's state. Default: `'org-auth:'`.
   */
  prefix?: string
}

/**
 * Redis failed to answer (connection lost, a cluster moving slots, an error reply):
 * `ERR_STORE_UNAVAILABLE` (503), so requests that need the store fail closed and are retried.
 * A value this package did not write under its keys: `ERR_STORE_INVALID_VALUE` (500).
 */
export class RedisStoreError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    Object.defineProperty(RedisStoreError.prototype, 'name', {
      value: 'RedisStoreError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(RedisStoreError.prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-redis/RedisStoreError',
    })
  }
  constructor(operation: string, cause: unknown, invalidValue = false) {
    // The message names the operation only: Redis replies may echo keys and values.
    super(
      invalidValue ? 'ERR_STORE_INVALID_VALUE' : 'ERR_STORE_UNAVAILABLE',
      invalidValue
        ? `The Redis store read a value it did not write (${operation})`
        : `The Redis store failed to ${operation}`,
      invalidValue ? 500 : 503,
      invalidValue ? 'server_error' : 'temporarily_unavailable',
      { cause },
    )
  }
}

/** The prefix option, checked once at construction. */
export function prefixOf(options: RedisStoreOptions): string {
  const prefix = options.prefix ?? 'org-auth:'
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new ConfigurationError('Redis "prefix" must be a string without "{" or "}"')
  }
  return prefix
}

/**
 * One key component, made unambiguous and safe inside a hash tag: `%`, `{`, `}` and `:` become
 * `%` + four hex digits of the UTF-16 code unit, and so do surrogates (a lone one would be sent as U+FFFD, merging distinct ids).
 * Everything else, NUL bytes and non-ASCII text included, goes through as is: keys are binary-safe.
 */
export function part(value: string): string {
  return value.replace(/[%{}:\uD800-\uDFFF]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The inverse of `part`. */
export function unpart(value: string): string {
  return value.replace(/%([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

/** Runs one script; any failure becomes a `RedisStoreError` (503). */
export async function run(
  client: RedisScriptClient,
  operation: string,
  script: string,
  keys: string[],
  args: string[],
): Promise<unknown> {
  try {
    return await client.eval(script, { keys, arguments: args })
  } catch (error) {
    throw new RedisStoreError(operation, error)
  }
}

/** An expiry in epoch seconds as `EXAT` takes it: an integer, never before the value expires. */
export function exat(expiresAt: number): string {
  if (!Number.isFinite(expiresAt)) {
    throw new AuthError('ERR_STORE_INPUT', 'An expiry must be a finite number of epoch seconds', 500)
  }
  return String(Math.max(1, Math.ceil(expiresAt)))
}

/** JSON read back from Redis; a value this package did not write is refused, not trusted. */
export function parseJson<T>(value: unknown, operation: string): T | undefined {
  if (value === null || value === undefined) return undefined
  if (typeof value !== 'string')
    throw new RedisStoreError(operation, new TypeError('not a string reply'), true)
  try {
    return JSON.parse(value) as T
  } catch (error) {
    throw new RedisStoreError(operation, error, true)
  }
}
