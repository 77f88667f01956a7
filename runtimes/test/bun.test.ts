// Bun runs the bundle as a script: it lends `node:crypto` through `process.getBuiltinModule`,
// so the core checks signatures natively there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, bundleFor } from '../src/bundle.js'
import { type Fixtures, startFixtures } from '../src/fixtures.js'
import { killChildren, locateBinary, runBun } from '../src/processes.js'
import type { RuntimeReport } from '../src/report.js'
import { expectPortableBundle, itChecksTokens } from './expectations.js'

// Where the binary is missing, the file fails here with what to install: it never skips.
const binary = locateBinary('bun')
let fixtures: Fixtures | undefined
let dir: string | undefined
let bundle: Bundle
let report: RuntimeReport

beforeAll(async () => {
  fixtures = await startFixtures()
  dir = mkdtempSync(join(tmpdir(), 'runtime-tests-bun-'))
  bundle = await bundleFor('bun', dir)
  report = await runBun(bundle.file, fixtures.input, dir)
})

afterAll(async () => {
  killChildren()
  await fixtures?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the core in Bun', () => {
  it('bundles for Bun without any Node module', () => expectPortableBundle(bundle.inputs))

  it('fetched the JWKS itself, over loopback http', () => {
    expect(fixtures?.jwksRequests()).toBeGreaterThanOrEqual(1)
  })

  itChecksTokens(() => report, {
    runtime: 'bun',
    version: binary.version,
    lendsNodeCrypto: true,
    path: 'node:crypto',
  })
})
