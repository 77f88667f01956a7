// Deno runs the bundle with network access to the JWKS port only. It lends `node:crypto`
// through `process.getBuiltinModule`, so the core checks signatures natively there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, bundleFor } from '../src/bundle.js'
import { type Fixtures, startFixtures } from '../src/fixtures.js'
import { killChildren, locateBinary, runDeno } from '../src/processes.js'
import type { RuntimeReport } from '../src/report.js'
import { expectPortableBundle, itChecksTokens } from './expectations.js'

// Where the binary is missing, the file fails here with what to install: it never skips.
const binary = locateBinary('deno')
let fixtures: Fixtures | undefined
let dir: string | undefined
let bundle: Bundle
let report: RuntimeReport

beforeAll(async () => {
  fixtures = await startFixtures()
  dir = mkdtempSync(join(tmpdir(), 'runtime-tests-deno-'))
  bundle = await bundleFor('deno', dir)
  report = await runDeno(bundle.file, fixtures.input, dir, fixtures.port)
})

afterAll(async () => {
  killChildren()
  await fixtures?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the core in Deno', () => {
  it('bundles for Deno without any Node module', () => expectPortableBundle(bundle.inputs))

  it('fetched the JWKS itself, over loopback http', () => {
    expect(fixtures?.jwksRequests()).toBeGreaterThanOrEqual(1)
  })

  itChecksTokens(() => report, {
    runtime: 'deno',
    version: binary.version,
    lendsNodeCrypto: true,
    path: 'node:crypto',
  })
})
