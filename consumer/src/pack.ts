/**
 * The packages as npm would deliver them: `pnpm pack` applies `publishConfig` (dist exports,
 * workspace versions resolved), like `pnpm publish` does. It packs `dist/`, so a missing or
 * stale build is rebuilt first (under `npm test`, turbo's `^build` has already built it).
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { run } from './exec.js'
import { REPO_ROOT } from './paths.js'

/** Every published package, by folder under packages/. */
export const PUBLISHED = ['core', 'express', 'hono', 'nest', 'next', 'server'] as const
export type Published = (typeof PUBLISHED)[number]

function newest(dir: string): number {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

function buildIsCurrent(pkgDir: string): boolean {
  try {
    return statSync(join(pkgDir, 'dist', 'index.js')).mtimeMs >= newest(join(pkgDir, 'src'))
  } catch {
    return false
  }
}

/** Packs every published package into `dir`; returns each tarball's path. */
export async function packAll(dir: string): Promise<Record<Published, string>> {
  const tarballs = {} as Record<Published, string>
  // In dependency order: the adapters' builds read the core's types.
  for (const name of PUBLISHED) {
    const pkgDir = join(REPO_ROOT, 'packages', name)
    if (!buildIsCurrent(pkgDir)) await run('pnpm', ['run', 'build'], { cwd: pkgDir })
  }
  await Promise.all(
    PUBLISHED.map(async (name) => {
      const out = await run('pnpm', ['pack', '--pack-destination', dir], {
        cwd: join(REPO_ROOT, 'packages', name),
      })
      const tarball = out
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line.endsWith('.tgz'))
      if (tarball === undefined) throw new Error(`pnpm pack in packages/${name} named no tarball:\n${out}`)
      tarballs[name] = tarball.startsWith('/') ? tarball : join(dir, tarball)
    }),
  )
  return tarballs
}
