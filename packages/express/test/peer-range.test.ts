import { createRequire } from 'node:module'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }

// The `express` peer range must admit no release with a known advisory for the request handling
// an auth middleware sits in. Each entry is the last vulnerable release of a line, from the
// advisory's fixed version. A new advisory adds a row and raises the range.
const VULNERABLE: readonly (readonly [version: string, advisory: string])[] = [
  ['4.21.0', 'CVE-2024-47764 cookie attribute injection (fixed 4.21.1)'],
  ['4.21.1', 'CVE-2024-52798 path-to-regexp ReDoS in route matching (fixed 4.21.2)'],
  ['5.0.0', 'CVE-2024-47764 cookie attribute injection (fixed 5.0.1)'],
]

const range = pkg.peerDependencies.express

describe('the express peer range', () => {
  it.each(VULNERABLE)('refuses %s (%s)', (version) => {
    expect(semver.satisfies(version, range)).toBe(false)
  })

  it('admits the first patched releases and both Express majors the tests run against', () => {
    const require = createRequire(import.meta.url)
    const tested = ['express', 'express4'].map(
      (name) => (require(`${name}/package.json`) as { version: string }).version,
    )
    for (const version of ['4.21.2', '5.0.1', ...tested])
      expect(semver.satisfies(version, range), version).toBe(true)
    expect(semver.satisfies('6.0.0', range)).toBe(false)
  })
})
