import { describe, expect, it } from 'vitest'
import { refreshInterval, statedFreshness } from '../src/lib/freshness.js'

const stated = (headers: Record<string, string>) => statedFreshness(new Headers(headers))

describe('statedFreshness (RFC 9111 §4.2.1)', () => {
  it('reads max-age in seconds, less the Age the response already has', () => {
    expect(stated({ 'cache-control': 'public, max-age=300' })).toBe(300_000)
    expect(stated({ 'cache-control': 'max-age=300, must-revalidate', age: '100' })).toBe(200_000)
    expect(stated({ 'cache-control': 'max-age=60', age: '90' })).toBe(0)
    expect(stated({ 'cache-control': 'Max-Age="120"' })).toBe(120_000)
  })

  it('takes no-store and no-cache as zero, whatever else is stated', () => {
    expect(stated({ 'cache-control': 'no-store' })).toBe(0)
    expect(stated({ 'cache-control': 'max-age=600, no-cache' })).toBe(0)
    expect(stated({ 'cache-control': 'no-cache="set-cookie", max-age=600' })).toBe(0)
  })

  it('takes a duplicated or malformed max-age as stale', () => {
    expect(stated({ 'cache-control': 'max-age=60, max-age=600' })).toBe(0)
    expect(stated({ 'cache-control': 'max-age=-5' })).toBe(0)
    expect(stated({ 'cache-control': 'max-age=1e3' })).toBe(0)
    expect(stated({ 'cache-control': 'max-age=' })).toBe(0)
  })

  it('ignores s-maxage (shared caches only) and directives without a lifetime', () => {
    expect(stated({ 'cache-control': 's-maxage=600' })).toBeUndefined()
    expect(stated({ 'cache-control': 'public' })).toBeUndefined()
    expect(stated({})).toBeUndefined()
  })

  it('falls back to Expires − Date, and an invalid Expires is already expired', () => {
    const date = 'Tue, 24 Nov 2026 12:00:00 GMT'
    expect(stated({ date, expires: 'Tue, 24 Nov 2026 12:05:00 GMT' })).toBe(300_000)
    expect(stated({ date, expires: 'Tue, 24 Nov 2026 11:00:00 GMT' })).toBe(0)
    expect(stated({ date, expires: '0' })).toBe(0)
    // Cache-Control wins over Expires.
    expect(stated({ date, expires: 'Tue, 24 Nov 2026 12:05:00 GMT', 'cache-control': 'max-age=10' })).toBe(
      10_000,
    )
  })
})

describe('refreshInterval', () => {
  it('keeps a stated lifetime within [floor, ceiling], and uses the ceiling when none was stated', () => {
    expect(refreshInterval(120_000, 60_000, 600_000)).toBe(120_000)
    expect(refreshInterval(0, 60_000, 600_000)).toBe(60_000)
    expect(refreshInterval(86_400_000, 60_000, 600_000)).toBe(600_000)
    expect(refreshInterval(undefined, 60_000, 600_000)).toBe(600_000)
  })
})
