import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }

// The `hono` peer range must admit no release with a known advisory that touches what an auth
// middleware relies on: JWT verification, routing that decides which middleware runs, caching of
// per-user answers, body limits and CORS around authenticated routes. Each entry is the last
// vulnerable release, from the advisory's fixed version. A new advisory adds a row and raises the range.
const VULNERABLE: readonly (readonly [version: string, advisory: string])[] = [
  ['4.11.3', 'CVE-2026-22817 / CVE-2026-22818 JWT algorithm confusion in jwt/jwk middleware (fixed 4.11.4)'],
  [
    '4.12.17',
    'CVE-2026-44457 cache middleware serves one user’s Vary: Authorization answer to others (fixed 4.12.18)',
  ],
  ['4.12.20', 'CVE-2026-47676 app.mount() path confusion bypasses sub-app middleware (fixed 4.12.21)'],
  ['4.12.24', 'CVE-2026-54288 body-limit bypass, CVE-2026-54290 CORS credentials reflection (fixed 4.12.25)'],
]

const range = pkg.peerDependencies.hono

describe('the hono peer range', () => {
  it.each(VULNERABLE)('refuses %s (%s)', (version) => {
    expect(semver.satisfies(version, range)).toBe(false)
  })

  it('admits the first patched release and the Hono the tests run against', () => {
    // Hono's exports do not include its package.json: read the installed one.
    const installed = new URL('../node_modules/hono/package.json', import.meta.url)
    const { version } = JSON.parse(readFileSync(installed, 'utf8')) as { version: string }
    for (const admitted of ['4.12.25', version])
      expect(semver.satisfies(admitted, range), admitted).toBe(true)
    expect(semver.satisfies('5.0.0', range)).toBe(false)
  })
})
