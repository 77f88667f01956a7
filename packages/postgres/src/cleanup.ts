/**
 * Deleting expired rows. The stores never read them (every read compares with `now()`), so this
 * only keeps the tables small: in batches of short statements that skip rows another statement
 * has locked, so a request never waits on the sweep and several instances can sweep at once.
 */
import { ConfigurationError } from '@org/auth-core'
import { type PostgresStoreOptions, type Queryable, run, schemaOf } from './database.js'

/** Rows deleted per table by one `cleanupExpired` call. */
export interface CleanupResult {
  sessions: number
  oneTime: number
  rateLimits: number
  delegationSessions: number
  revokedTokens: number
}

// What "expired" means per table. A pending MFA change is kept an hour past its expiry so that
// the delegation service still answers "expired" (as the Redis store's grace hour). MFA
// credentials never expire.
const TABLES: ReadonlyArray<readonly [keyof CleanupResult, string, string]> = [
  ['sessions', 'sessions', 'expires_at <= now()'],
  ['oneTime', 'one_time', 'expires_at <= now()'],
  ['rateLimits', 'rate_limits', 'window_ends <= now()'],
  ['delegationSessions', 'delegation_sessions', "expires_at <= now() - interval '1 hour'"],
  // A revoked token past its `exp` is refused on its own: its row is no longer needed.
  ['revokedTokens', 'revoked_tokens', 'expires_at <= now()'],
]

export interface CleanupOptions extends PostgresStoreOptions {
  /** Rows deleted per statement: small batches hold few row locks, briefly. Default: 1000. */
  batchSize?: number
  /**
   * Batches per table per call, a bound on one call's work when rows expire faster than they are
   * deleted; the next call continues. Default: 100.
   */
  maxBatches?: number
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ConfigurationError(`"${name}" must be an integer ≥ 1`)
  }
  return n
}

/**
 * Deletes the expired rows of every table of the schema, `batchSize` rows per statement
 * (`DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … LIMIT n FOR UPDATE SKIP LOCKED))`), until a
 * batch comes back short. Resolves how many rows it deleted per table.
 */
export async function cleanupExpired(db: Queryable, options: CleanupOptions = {}): Promise<CleanupResult> {
  const s = schemaOf(options)
  const batchSize = positiveInteger(options.batchSize, 1000, 'batchSize')
  const maxBatches = positiveInteger(options.maxBatches, 100, 'maxBatches')
  const result: CleanupResult = {
    sessions: 0,
    oneTime: 0,
    rateLimits: 0,
    delegationSessions: 0,
    revokedTokens: 0,
  }
  for (const [name, table, expired] of TABLES) {
    const text = `WITH deleted AS (
        DELETE FROM ${s}.${table} WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM ${s}.${table} WHERE ${expired} LIMIT $1::integer FOR UPDATE SKIP LOCKED
        ))
        RETURNING 1
      )
      SELECT count(*)::integer AS deleted FROM deleted`
    for (let batch = 0; batch < maxBatches; batch++) {
      const [row] = await run<{ deleted: number }>(db, 'delete expired rows', text, [batchSize])
      const deleted = Number(row?.deleted ?? 0)
      result[name] += deleted
      if (deleted < batchSize) break
    }
  }
  return result
}

export interface StartCleanupOptions extends CleanupOptions {
  /** Time between the end of one sweep and the start of the next, in milliseconds. Default: 60,000. */
  intervalMs?: number
  /**
   * Told when a sweep fails (the database unreachable, say); the next sweep runs on schedule.
   * `false` silences it. Default: `console.warn` of the error's message (it names no value).
   */
  onError?: false | ((error: unknown) => void)
}

export interface CleanupHandle {
  /** Cancels the next sweep and resolves once a sweep in progress has finished. */
  stop(): Promise<void>
}

/**
 * Runs `cleanupExpired` every `intervalMs`, first after one interval. The timer is unref'd (it
 * never keeps the process alive) and sweeps never overlap; call `stop()` at shutdown, before
 * closing the pool.
 */
export function startCleanup(db: Queryable, options: StartCleanupOptions = {}): CleanupHandle {
  const intervalMs = options.intervalMs ?? 60_000
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new ConfigurationError('"intervalMs" must be a number of milliseconds ≥ 1')
  }
  // Checked now, not at the first sweep.
  schemaOf(options)
  positiveInteger(options.batchSize, 1000, 'batchSize')
  positiveInteger(options.maxBatches, 100, 'maxBatches')
  const report =
    options.onError === false
      ? () => {}
      : (options.onError ??
        ((error: unknown) => console.warn(error instanceof Error ? error.message : 'cleanup failed')))
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let sweeping: Promise<void> = Promise.resolve()
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      sweeping = cleanupExpired(db, options).then(
        () => schedule(),
        (error: unknown) => {
          try {
            report(error)
          } catch {
            // A throwing reporter neither stops the sweeps nor rejects stop().
          }
          schedule()
        },
      )
    }, intervalMs)
    timer.unref?.()
  }
  schedule()
  return {
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      await sweeping
    },
  }
}
