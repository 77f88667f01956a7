import type { JWK } from 'jose'
import { ConfigurationError, KeysUnavailableError, RemoteResponseError } from '../errors.js'
import { fetchJson, type HttpOptions } from '../lib/fetch-json.js'
import { refreshInterval, statedFreshness } from '../lib/freshness.js'
import { secureUrl } from '../lib/url.js'
import type { KeyEntry } from './key-entry.js'
import { type KeyLookup, matchKeys } from './key-source.js'
import { type JSONWebKeySet, parseJwks } from './public-key.js'

export interface RemoteJwksOptions extends HttpOptions {
  /**
   * Longest milliseconds keys are used before a background refresh (they keep serving meanwhile).
   * The endpoint's `Cache-Control: max-age` (or `Expires`) shortens it, never lengthens it.
   * Default: 600000 (10 min).
   */
  maxAge?: number
  /**
   * Shortest milliseconds between scheduled refreshes, whatever the endpoint's caching headers
   * say (`no-store`, `max-age=0`): keys are never fetched per request. At most `maxAge`.
   * Default: 60000 (1 min).
   */
  minAge?: number
  /**
   * Milliseconds for which the last good keys keep being served while the endpoint fails.
   * Past this, requests fail with 503 until a refresh succeeds. Default: 86400000 (24 h).
   */
  maxStale?: number
  /** Minimum milliseconds between refetches triggered by an unknown `kid`. Default: 30000. */
  cooldown?: number
  /** Minimum milliseconds between attempts after a failed fetch, while no keys are held. Default: 5000. */
  errorBackoff?: number
  /** Most keys accepted in one set. Default: 32. */
  maxKeys?: number
  /** Allow a plain-http URL on a non-loopback host. Default: false. */
  allowInsecureRequests?: boolean
  /** A snapshot from {@link RemoteJwks.export} (e.g. kept across serverless cold starts). */
  snapshot?: JwksSnapshot
}

/** Serialisable state of a remote key set: what a cold start can import instead of fetching. */
export interface JwksSnapshot {
  uri: string
  /** Epoch milliseconds of the fetch the keys came from. */
  fetchedAt: number
  /** Milliseconds the keys were fresh for after `fetchedAt` (from the endpoint's caching headers). */
  freshFor?: number
  keys: JWK[]
}

export interface RemoteJwks extends KeyLookup {
  readonly uri: string
  /** Fetches now (single-flight). Rejects with {@link KeysUnavailableError} when it fails. */
  refresh(): Promise<void>
  /** The current keys, or `undefined` before the first successful fetch. */
  export(): JwksSnapshot | undefined
}

interface Held {
  entries: KeyEntry[]
  fetchedAt: number
  /** Milliseconds after `fetchedAt` when a background refresh is due. */
  freshFor: number
}

const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024

/** Canonical form of a JWK, to recognise the same key across fetches. */
function jwkIdentity(entry: KeyEntry): string | undefined {
  return entry.jwk === undefined ? undefined : JSON.stringify(entry.jwk, Object.keys(entry.jwk).sort())
}

/**
 * The fetched entries, with each key that was already held replaced by its held entry: its
 * imports are kept, and caches keyed on it (verified tokens) survive a refresh that keeps it.
 */
function keepUnchanged(previous: readonly KeyEntry[] | undefined, fetched: KeyEntry[]): KeyEntry[] {
  if (previous === undefined) return fetched
  const byIdentity = new Map(previous.map((entry) => [jwkIdentity(entry), entry]))
  return fetched.map((entry) => byIdentity.get(jwkIdentity(entry)) ?? entry)
}

/** A duration option in milliseconds: its default when absent, a {@link ConfigurationError} when not a non-negative number. */
export function milliseconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(`"${name}" must be a non-negative number of milliseconds`)
  }
  return value
}

/**
 * A JWKS endpoint behind a cache: one fetch at a time (single-flight), background refresh once
 * the keys are stale (the endpoint's `Cache-Control`, within `minAge`..`maxAge`), a refetch on an
 * unknown `kid` at most once per `cooldown`, and the last good keys served while the endpoint
 * fails, for up to `maxStale`.
 */
export function createRemoteJwks(url: string | URL, options: RemoteJwksOptions = {}): RemoteJwks {
  const uri = secureUrl(url, 'jwks', options.allowInsecureRequests).href
  const maxAge = milliseconds(options.maxAge, 600_000, 'maxAge')
  const minAge = Math.min(maxAge, milliseconds(options.minAge, 60_000, 'minAge'))
  const maxStale = Math.max(maxAge, milliseconds(options.maxStale, 86_400_000, 'maxStale'))
  const cooldown = milliseconds(options.cooldown, 30_000, 'cooldown')
  const errorBackoff = milliseconds(options.errorBackoff, 5_000, 'errorBackoff')
  const maxKeys = milliseconds(options.maxKeys, 32, 'maxKeys')
  const http = { ...options, maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES }

  let held: Held | undefined
  let inflight: Promise<void> | undefined
  let lastAttempt = Number.NEGATIVE_INFINITY
  let lastFailure: unknown
  let lastFailedAt = Number.NEGATIVE_INFINITY

  if (options.snapshot !== undefined) {
    if (options.snapshot.uri !== uri)
      throw new ConfigurationError('"snapshot" was exported from another JWKS URL')
    const entries = parseJwks({ keys: options.snapshot.keys }, maxKeys)
    if (typeof entries === 'string') throw new ConfigurationError(`"snapshot" is unusable: ${entries}`)
    const { fetchedAt, freshFor } = options.snapshot
    held = { entries, fetchedAt, freshFor: refreshInterval(freshFor, minAge, maxAge) }
  }

  function unavailable(cause: unknown): KeysUnavailableError {
    const wait = Math.max(1, Math.ceil((lastAttempt + errorBackoff - Date.now()) / 1000))
    return new KeysUnavailableError('ERR_JWKS_UNAVAILABLE', 'The JWKS endpoint is unavailable', wait, {
      cause,
    })
  }

  async function fetchKeys(): Promise<void> {
    lastAttempt = Date.now()
    try {
      const { json, response } = await fetchJson(uri, 'The JWKS endpoint', http)
      const parsed = parseJwks(json, maxKeys)
      if (typeof parsed === 'string')
        throw new RemoteResponseError('ERR_JWKS_INVALID', `The JWKS is unusable: ${parsed}`)
      const freshFor = refreshInterval(statedFreshness(response.headers), minAge, maxAge)
      held = { entries: keepUnchanged(held?.entries, parsed), fetchedAt: Date.now(), freshFor }
      lastFailure = undefined
    } catch (error) {
      lastFailure = error
      lastFailedAt = Date.now()
      throw unavailable(error)
    }
  }

  function refresh(): Promise<void> {
    inflight ??= fetchKeys().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  async function lookup(kid: string | undefined): Promise<readonly KeyEntry[]> {
    const now = Date.now()
    if (held === undefined || now - held.fetchedAt > maxStale) {
      // Nothing (trustworthy) to serve: this request has to wait for the endpoint.
      if (inflight === undefined && now - lastAttempt < errorBackoff) throw unavailable(lastFailure)
      await refresh()
    } else if (
      now - held.fetchedAt > held.freshFor &&
      inflight === undefined &&
      now - lastFailedAt >= errorBackoff
    ) {
      // Stale-while-revalidate: the keys still serve; a failure keeps them (up to maxStale) and
      // the next attempt waits `errorBackoff`, so a down endpoint is not asked on every request.
      refresh().catch(() => {})
    }
    const current = held as Held
    const found = matchKeys(current.entries, kid, false)
    if (found.length > 0 || now - lastAttempt < cooldown) return found
    // An unknown kid usually means the issuer rotated its keys: refetch once per cooldown.
    await refresh().catch(() => {})
    return matchKeys((held as Held).entries, kid, false)
  }

  return {
    uri,
    lookup,
    refresh,
    current: () => held?.entries ?? [],
    async ready() {
      if (held === undefined) await refresh()
    },
    export() {
      if (held === undefined) return undefined
      const keys = held.entries.flatMap((entry) => (entry.jwk === undefined ? [] : [entry.jwk]))
      return { uri, fetchedAt: held.fetchedAt, freshFor: held.freshFor, keys }
    },
  }
}

export type { JSONWebKeySet }
