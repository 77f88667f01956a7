#!/usr/bin/env node
// Lints a package as users would receive it: `pnpm pack` applies publishConfig (dist exports,
// resolved workspace versions), then publint and Are-The-Types-Wrong inspect that tarball, and
// every Markdown file in it must link absolutely (npmjs.com and node_modules have no repository
// around the README for `../core/README.md` to resolve against).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { relativeLinks } from './markdown-links.mjs'

/** Fails when a packed `.md` file links relatively; names each link with its file and line. */
function checkPackedLinks(tarball) {
  const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((entry) => /\.md$/i.test(entry))
  const problems = entries.flatMap((entry) =>
    relativeLinks(execFileSync('tar', ['-xzOf', tarball, entry], { encoding: 'utf8' })).map(
      ({ line, target }) => `${entry.replace(/^package\//, '')}:${line}: ${target}`,
    ),
  )
  if (problems.length > 0) {
    throw new Error(
      `Relative links in the packed package (use https://github.com/org/org-auth/blob/main/...):\n  ${problems.join('\n  ')}`,
    )
  }
}

const dir = mkdtempSync(join(tmpdir(), 'org-auth-pack-'))
try {
  execFileSync('pnpm', ['pack', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tarball = readdirSync(dir).find((file) => file.endsWith('.tgz'))
  if (tarball === undefined) throw new Error('pnpm pack produced no tarball')
  const path = join(dir, tarball)
  checkPackedLinks(path)
  execFileSync('publint', ['run', path, '--strict'], { stdio: 'inherit' })
  // Every entry ships ESM and CommonJS with their own declarations: attw's full profile checks
  // that types resolve, and match the runtime format, under node10, node16 (CJS and ESM) and bundler.
  execFileSync('attw', [path, '--no-summary'], { stdio: 'inherit' })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
