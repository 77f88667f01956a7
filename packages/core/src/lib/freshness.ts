/**
 * How long a response may be used without asking again, as its server states it (RFC 9111 §4.2.1):
 * `Cache-Control: max-age` less the response's `Age`, else `Expires` − `Date`. `no-store` and
 * `no-cache` state zero. `undefined` when the response says nothing usable, so the caller keeps
 * its own default. `s-maxage` is for shared caches and is ignored here, as a private cache must.
 */
export function statedFreshness(headers: Headers): number | undefined {
  const cacheControl = headers.get('cache-control')
  if (cacheControl !== null) {
    let maxAge: number | undefined
    for (const directive of cacheControl.split(',')) {
      const [rawName, rawValue] = directive.split('=', 2)
      const name = rawName?.trim().toLowerCase()
      if (name === 'no-store' || name === 'no-cache') return 0
      if (name === 'max-age' && rawValue !== undefined) {
        const seconds = deltaSeconds(rawValue)
        // RFC 9111 §4.2.1: a duplicated or invalid max-age makes the response stale.
        if (seconds === undefined || maxAge !== undefined) return 0
        maxAge = seconds
      }
    }
    if (maxAge !== undefined) {
      const age = deltaSeconds(headers.get('age') ?? '0') ?? 0
      return Math.max(0, maxAge - age) * 1000
    }
  }
  const expires = headers.get('expires')
  if (expires === null) return undefined
  const expiresAt = Date.parse(expires)
  // An invalid Expires (such as "0") means already expired (RFC 9111 §5.3).
  if (Number.isNaN(expiresAt)) return 0
  const dated = Date.parse(headers.get('date') ?? '')
  return Math.max(0, expiresAt - (Number.isNaN(dated) ? Date.now() : dated))
}

/** RFC 9111 §1.2.2 delta-seconds: digits only (optionally quoted, as some servers send). */
function deltaSeconds(value: string): number | undefined {
  const trimmed = value.trim().replace(/^"(.*)"$/, '$1')
  if (!/^\d{1,10}$/.test(trimmed)) return undefined
  return Number(trimmed)
}

/**
 * The refresh interval to use: the stated freshness kept within `[floor, ceiling]`, or the
 * ceiling when nothing was stated. The floor stops an endpoint that says `no-store` from turning
 * every request into a fetch; the ceiling bounds how long a removed key can still be trusted.
 */
export function refreshInterval(stated: number | undefined, floor: number, ceiling: number): number {
  // Also a snapshot's `freshFor` that is no number (NaN would never fall due: keys trusted forever).
  if (typeof stated !== 'number' || Number.isNaN(stated)) return ceiling
  return Math.min(ceiling, Math.max(floor, stated))
}
