#!/usr/bin/env node
// Lints a package as users would receive it: `pnpm pack` applies publishConfig (dist exports,
// resolved workspace versions), then publint and Are-The-Types-Wrong inspect that tarball.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'org-auth-pack-'))
try {
  execFileSync('pnpm', ['pack', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))
  if (tarball === undefined) throw new Error('pnpm pack produced no tarball')
  const path = join(dir, tarball)
  execFileSync('publint', ['run', path, '--strict'], { stdio: 'inherit' })
  // Every entry ships ESM and CommonJS with their own declarations: attw's full profile checks
  // that types resolve, and match the runtime format, under node10, node16 (CJS and ESM) and bundler.
  execFileSync('attw', [path, '--no-summary'], { stdio: 'inherit' })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
