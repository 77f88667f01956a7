// workerd, the Cloudflare Workers runtime, serves the bundle as a Worker twice: without
// `nodejs_compat` (no `process` at all: the core takes jose's Web Crypto path) and with it
// (`process.getBuiltinModule` lends workerd's `node:crypto`).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Bundle, bundleFor } from '../src/bundle.js'
import { type Fixtures, startFixtures } from '../src/fixtures.js'
import {
  askWorker,
  killChildren,
  locateBinary,
  runBinary,
  startWorkerd,
  type Workerd,
} from '../src/processes.js'
import type { RuntimeReport } from '../src/report.js'
import { expectPortableBundle, itChecksTokens } from './expectations.js'

// Where the binary is missing, the file fails here with what to install: it never skips.
const binary = locateBinary('workerd')
let fixtures: Fixtures | undefined
let dir: string | undefined
let workerd: Workerd | undefined
let bundle: Bundle
let versionLine: string
const reports: { plain?: RuntimeReport; nodejsCompat?: RuntimeReport } = {}
const jwksRequests = { plain: 0, nodejsCompat: 0 }

beforeAll(async () => {
  versionLine = (await runBinary(binary.path, ['--version'], { cwd: tmpdir(), env: {} })).trim()
  fixtures = await startFixtures()
  dir = mkdtempSync(join(tmpdir(), 'runtime-tests-workerd-'))
  bundle = await bundleFor('workerd', dir)
  workerd = await startWorkerd(bundle.file)
  // One Worker after the other, so each one's JWKS requests can be counted.
  reports.plain = await askWorker(workerd.ports.plain, fixtures.input)
  jwksRequests.plain = fixtures.jwksRequests()
  reports.nodejsCompat = await askWorker(workerd.ports.nodejs_compat, fixtures.input)
  jwksRequests.nodejsCompat = fixtures.jwksRequests() - jwksRequests.plain
})

afterAll(async () => {
  workerd?.stop()
  killChildren()
  await fixtures?.close()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe('the core in workerd', () => {
  it('runs the workerd of the installed package', () => {
    // The package version 1.YYYYMMDD.N names the build date the binary prints.
    const date = binary.version.replace(/^1\.(\d{4})(\d{2})(\d{2})\.\d+$/, '$1-$2-$3')
    expect(versionLine).toBe(`workerd ${date}`)
  })

  it('bundles for Workers without any Node module', () => expectPortableBundle(bundle.inputs))

  it('fetched the JWKS from each Worker, over loopback http', () => {
    expect(jwksRequests.plain).toBeGreaterThanOrEqual(1)
    expect(jwksRequests.nodejsCompat).toBeGreaterThanOrEqual(1)
  })
})

describe('the core in a Worker without nodejs_compat', () => {
  itChecksTokens(() => reports.plain as RuntimeReport, {
    runtime: 'workerd',
    version: '',
    lendsNodeCrypto: false,
    path: 'webcrypto',
  })
})

describe('the core in a Worker with nodejs_compat', () => {
  itChecksTokens(() => reports.nodejsCompat as RuntimeReport, {
    runtime: 'workerd',
    version: '',
    lendsNodeCrypto: true,
    path: 'node:crypto',
    // workerd's node:crypto throws ERR_INVALID_ARG_TYPE for the `{ key, padding }` (PS*) and
    // `{ key, dsaEncoding }` (ES*) forms: the core's probe sees it and takes Web Crypto for those.
    pathFor: { PS256: 'webcrypto', ES256: 'webcrypto' },
  })
})
