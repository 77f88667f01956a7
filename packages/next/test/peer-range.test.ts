import { createRequire } from 'node:module'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }

// The `next` peer range must admit no release with a known advisory that defeats what this
// package does (a proxy guarding pages, route handlers, Server Components): each entry is the last
// vulnerable release of a line, from the advisory's own fixed versions. A new advisory adds a row
// here and raises the range; the range cannot widen again without this test failing.
const VULNERABLE: readonly (readonly [version: string, advisory: string])[] = [
  ['15.0.0', 'CVE-2025-29927 middleware bypass via x-middleware-subrequest (fixed 15.2.3)'],
  ['15.2.2', 'CVE-2025-29927 middleware bypass via x-middleware-subrequest (fixed 15.2.3)'],
  ['15.0.4', 'CVE-2025-55182 / CVE-2025-66478 RSC remote code execution (fixed 15.0.5)'],
  ['15.1.8', 'CVE-2025-55182 / CVE-2025-66478 (fixed 15.1.9)'],
  ['15.2.5', 'CVE-2025-55182 / CVE-2025-66478 (fixed 15.2.6)'],
  ['15.3.5', 'CVE-2025-55182 / CVE-2025-66478 (fixed 15.3.6)'],
  ['15.4.7', 'CVE-2025-55182 / CVE-2025-66478 (fixed 15.4.8)'],
  ['15.5.6', 'CVE-2025-55182 / CVE-2025-66478 (fixed 15.5.7)'],
  ['16.0.6', 'CVE-2025-55182 / CVE-2025-66478 (fixed 16.0.7)'],
  ['15.5.15', 'CVE-2026-44575 proxy bypass via segment-prefetch routes (fixed 15.5.16)'],
  ['16.2.4', 'CVE-2026-44575 proxy bypass via segment-prefetch routes (fixed 16.2.5)'],
  ['15.5.17', 'GHSA-26hh-7cqf-hhc6 incomplete fix of the segment-prefetch bypass (fixed 15.5.18)'],
  ['16.2.5', 'GHSA-26hh-7cqf-hhc6 incomplete fix of the segment-prefetch bypass (fixed 16.2.6)'],
  ['15.5.20', 'July 2026 security release: middleware/proxy bypasses, SSRF (fixed 15.5.21)'],
  ['16.2.10', 'July 2026 security release: middleware/proxy bypasses, SSRF (fixed 16.2.11)'],
  ['15.5.23', 'GHSA-2xp9-vwfh-vxw4 / CVE-2026-75604 remote code execution (fixed 15.5.24)'],
  ['16.2.12', 'GHSA-2xp9-vwfh-vxw4 / CVE-2026-75604 remote code execution (16.x fixed in 16.3.3 only)'],
  ['16.3.2', 'GHSA-2xp9-vwfh-vxw4 / CVE-2026-75604 remote code execution (fixed 16.3.3)'],
]

const range = pkg.peerDependencies.next

describe('the next peer range', () => {
  it('is a valid range', () => {
    expect(semver.validRange(range)).not.toBeNull()
  })

  it.each(VULNERABLE)('refuses %s (%s)', (version) => {
    expect(semver.satisfies(version, range)).toBe(false)
  })

  it('admits the first patched releases and the Next majors the tests run against', () => {
    const require = createRequire(import.meta.url)
    const tested = ['next', 'next15'].map(
      (name) => (require(`${name}/package.json`) as { version: string }).version,
    )
    for (const version of ['15.5.24', '16.3.3', ...tested]) {
      expect(semver.satisfies(version, range), version).toBe(true)
    }
  })

  it('admits no untested major', () => {
    expect(semver.satisfies('14.2.35', range)).toBe(false)
    expect(semver.satisfies('17.0.0', range)).toBe(false)
  })
})
