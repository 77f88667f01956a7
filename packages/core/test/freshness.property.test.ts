import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { refreshInterval, statedFreshness } from '../src/lib/freshness.js'

// The JWKS and discovery endpoints' caching headers are untrusted input: whatever they say, the
// parser answers undefined or a finite, non-negative duration, and the interval stays in bounds.
const directive = fc.oneof(
  fc.constantFrom('no-store', 'no-cache', 'public', 'private', 'must-revalidate', 's-maxage=600'),
  fc.integer({ min: -10, max: 1e12 }).map((n) => `max-age=${n}`),
  fc.string({ maxLength: 12 }).map((s) => `max-age=${s}`),
  fc.string({ maxLength: 20 }),
)
// Header values as a peer may send them; Headers itself refuses CR, LF and NUL.
const headerValue = fc.string({ maxLength: 60 }).filter((s) => !/[\r\n\0]/.test(s) && s.trim() === s)

describe('statedFreshness on any caching headers', () => {
  it('answers undefined or a finite non-negative number of milliseconds, and never throws', () => {
    fc.assert(
      fc.property(
        fc.array(directive, { maxLength: 6 }),
        fc.option(headerValue),
        fc.option(headerValue),
        fc.option(headerValue),
        (directives, age, expires, date) => {
          const headers = new Headers({ 'cache-control': directives.join(', ') })
          if (age !== null) headers.set('age', age)
          if (expires !== null) headers.set('expires', expires)
          if (date !== null) headers.set('date', date)
          const stated = statedFreshness(headers)
          if (stated !== undefined) {
            expect(Number.isFinite(stated)).toBe(true)
            expect(stated).toBeGreaterThanOrEqual(0)
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('keeps the refresh interval within minAge..maxAge whatever the peer states', () => {
    fc.assert(
      fc.property(
        fc.option(fc.double({ noNaN: false })),
        fc.integer({ min: 0, max: 1e7 }),
        fc.integer({ min: 0, max: 1e7 }),
        (stated, a, b) => {
          const [floor, ceiling] = a <= b ? [a, b] : [b, a]
          const interval = refreshInterval(stated ?? undefined, floor, ceiling)
          expect(interval).toBeGreaterThanOrEqual(floor)
          expect(interval).toBeLessThanOrEqual(ceiling)
        },
      ),
      { numRuns: 500 },
    )
  })
})
