// Bun and Deno run the bundle as a script the same way: bundle, run once with the fixtures, then
// the shared expectations. Each test file states only its runtime and how to start it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, bundleFor } from '../src/bundle.js'
import { type Fixtures, startFixtures } from '../src/fixtures.js'
import { killChildren, locateBinary } from '../src/processes.js'
import type { CheckInput, RuntimeReport } from '../src/report.js'
import { expectPortableBundle, itChecksTokens } from './expectations.js'

export interface CliRuntime {
  runtime: 'bun' | 'deno'
  /** Its name in test titles. */
  title: string
  /** Runs the bundle with the fixtures' input; `port` is the JWKS server's. */
  run(bundle: string, input: CheckInput, dir: string, port: number): Promise<RuntimeReport>
}

export function describeCliRuntime({ runtime, title, run }: CliRuntime): void {
  // Where the binary is missing, the file fails here with what to install: it never skips.
  const binary = locateBinary(runtime)
  let fixtures: Fixtures | undefined
  let dir: string | undefined
  let bundle: Bundle
  let report: RuntimeReport

  beforeAll(async () => {
    fixtures = await startFixtures()
    dir = mkdtempSync(join(tmpdir(), `runtime-tests-${runtime}-`))
    bundle = await bundleFor(runtime, dir)
    report = await run(bundle.file, fixtures.input, dir, fixtures.port)
  })

  afterAll(async () => {
    killChildren()
    await fixtures?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  describe(`the core in ${title}`, () => {
    it(`bundles for ${title} without any Node module`, () => expectPortableBundle(bundle.inputs))

    it('fetched the JWKS itself, over loopback http', () => {
      expect(fixtures?.jwksRequests()).toBeGreaterThanOrEqual(1)
    })

    itChecksTokens(() => report, {
      runtime,
      version: binary.version,
      lendsNodeCrypto: true,
      path: 'node:crypto',
    })
  })
}
