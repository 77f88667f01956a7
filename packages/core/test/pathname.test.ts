import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizePathname } from '../src/index.js'

describe('normalizePathname', () => {
  it.each([
    ['/profile', '/profile'],
    ['/%70rofile', '/profile'],
    ['/%70%72%6F%66%69%6c%65', '/profile'],
    ['//profile', '/profile'],
    ['///profile//settings', '/profile/settings'],
    ['/./profile', '/profile'],
    ['/a/../profile', '/profile'],
    ['/a/b/../../profile', '/profile'],
    ['/../../profile', '/profile'],
    ['/%2e%2e/profile', '/profile'],
    ['/.%2E/profile', '/profile'],
    ['/\\profile', '/profile'],
    ['/profile/', '/profile/'],
    ['/profile/.', '/profile/'],
    ['/profile/x/..', '/profile/'],
    ['/', '/'],
    ['/..', '/'],
    ['/caf%C3%A9', '/café'],
    ['/%7e', '/~'],
    ['/%7E', '/~'],
    // Case is kept: the caller decides how to compare (the Next proxy compares case-insensitively).
    ['/PROFILE', '/PROFILE'],
    // `;` is no separator for Next.js or Node: a segment of its own, not `/profile`.
    ['/profile;x', '/profile;x'],
    ['/profile%3Bx', '/profile;x'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePathname(input)).toBe(expected)
  })

  it.each([
    ['encoded slash', '/profile%2F..'],
    ['encoded slash, lower case', '/x%2fprofile'],
    ['encoded backslash', '/x%5Cprofile'],
    ['encoded percent (double encoding)', '/%2570rofile'],
    ['lone percent', '/profile%'],
    ['short escape', '/profile%2'],
    ['non-hex escape', '/%zzprofile'],
    ['escape that is not UTF-8', '/%C3%28'],
    ['truncated UTF-8', '/caf%C3'],
    ['NUL once decoded', '/profile%00'],
    ['dot-dot after a repeated slash', '/profile//..'],
    ['encoded dot-dot after a repeated slash', '/x//%2e%2e/profile'],
    ['CR once decoded', '/profile%0D'],
    ['relative path', 'profile'],
    ['empty', ''],
  ])('has no single reading (fails closed): %s', (_name, input) => {
    expect(normalizePathname(input)).toBeUndefined()
  })
})

// Segments of path characters a URL may carry literally (RFC 3986 pchar without `%`), plus
// non-ASCII, dot segments and empty segments (repeated slashes).
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9\-._~!$&'()*+,;=:@é€]{0,6}$/),
  fc.constantFrom('.', '..', ''),
)
const path = fc.array(segment, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`)

/** Percent-encodes the characters `pick` selects (UTF-8, hex case as `upper` says). */
function encodeSome(value: string, pick: readonly boolean[], upper: readonly boolean[]): string {
  let out = ''
  let index = 0
  for (const char of value) {
    const i = index++
    if (char === '/' || !pick[i % pick.length]) {
      out += char
      continue
    }
    const bytes = new TextEncoder().encode(char)
    for (const byte of bytes) {
      const hex = byte.toString(16).padStart(2, '0')
      out += `%${upper[i % upper.length] ? hex.toUpperCase() : hex}`
    }
  }
  return out
}

describe('normalizePathname properties', () => {
  it('gives an encoded path the reading of the plain one (any characters, any hex case)', () => {
    fc.assert(
      fc.property(
        path,
        fc.array(fc.boolean(), { minLength: 1 }),
        fc.array(fc.boolean(), { minLength: 1 }),
        (plain, pick, upper) => {
          expect(normalizePathname(encodeSome(plain, pick, upper))).toBe(normalizePathname(plain))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses `//.!//..`, which has two readings (a dot segment after an empty one)', () => {
    // Found by the property below: a parser that resolves `..` pops the empty segment (`//.!/`),
    // a server that collapses slashes first pops `.!` (`/`). No reading is chosen.
    expect(normalizePathname('//.!//..')).toBeUndefined()
    expect(normalizePathname('//.!/')).toBe('/.!/')
  })

  it('agrees with the URL parser browsers and Next.js use (dot segments, backslashes, escapes)', () => {
    const withBackslashes = fc
      .tuple(path, fc.array(fc.boolean(), { minLength: 1 }))
      .map(([value, flips]) =>
        [...value].map((c, i) => (c === '/' && i > 0 && flips[i % flips.length] ? '\\' : c)).join(''),
      )
    fc.assert(
      fc.property(withBackslashes, (value) => {
        const parsedPath = new URL(`http://app.example${value}`).pathname
        // Node 20's URL parser (ada) leaves some dot segments after a leading `//` unresolved
        // (`//.!//..` stays as it is; WHATWG and browsers give `//.!/`): nothing to agree with there.
        fc.pre(!/(^|\/)\.\.?(\/|$)/.test(parsedPath))
        const parsed = normalizePathname(parsedPath)
        expect(parsed).toBeDefined()
        // The raw path has the parser's reading, or none (`/a//..`): never another one.
        const raw = normalizePathname(value)
        if (raw !== undefined) expect(raw).toBe(parsed)
      }),
      { numRuns: 500 },
    )
  })

  it('returns a canonical path: rooted, no empty, dot or escaped segments, and stable', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          path,
          fc.string().map((s) => `/${s}`),
        ),
        (value) => {
          const result = normalizePathname(value)
          if (result === undefined) return
          expect(result.startsWith('/')).toBe(true)
          expect(result).not.toMatch(/\/\/|\\|%/)
          expect(result.split('/').slice(1, -1)).not.toContain('')
          expect(result.split('/')).not.toContain('.')
          expect(result.split('/')).not.toContain('..')
          expect(normalizePathname(result)).toBe(result)
        },
      ),
      { numRuns: 1000 },
    )
  })

  it('never reads a path with an encoded separator or percent, whatever surrounds it', () => {
    fc.assert(
      fc.property(
        path,
        path,
        fc.constantFrom('%2F', '%2f', '%5C', '%5c', '%25'),
        (before, after, encoded) => {
          expect(normalizePathname(`${before}${encoded}${after}`)).toBeUndefined()
        },
      ),
    )
  })
})
