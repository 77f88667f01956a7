// Bundles the check script with the core's default entry (packages/core/src/index.ts, through
// the workspace link) and jose into one ESM file per runtime, as an application would ship it.
// No `node:` module is external: an import of one anywhere in the default entry fails the build.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Platform } from 'esbuild'

export type Runtime = 'bun' | 'deno' | 'workerd'

interface Target {
  entry: string
  platform: Platform
  /** The export conditions the runtime's own resolver or its usual bundler honours. */
  conditions: string[]
}

const TARGETS: Record<Runtime, Target> = {
  // Bun and Deno also honour `node`: left out, so a Node-only export cannot sneak in.
  bun: { entry: 'entry-cli.ts', platform: 'neutral', conditions: ['bun'] },
  deno: { entry: 'entry-cli.ts', platform: 'neutral', conditions: ['deno'] },
  // What wrangler passes for a Worker.
  workerd: { entry: 'entry-worker.ts', platform: 'browser', conditions: ['workerd', 'worker', 'browser'] },
}

export interface Bundle {
  file: string
  /** Every source file in the bundle, relative to this package (esbuild's metafile). */
  inputs: string[]
}

export async function bundleFor(runtime: Runtime, outdir: string): Promise<Bundle> {
  const target = TARGETS[runtime]
  const file = join(outdir, `${runtime}.mjs`)
  const result = await build({
    entryPoints: [fileURLToPath(new URL(target.entry, import.meta.url))],
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: target.platform,
    conditions: target.conditions,
    // `neutral` reads no main field by default; packages without `exports` still need one.
    mainFields: target.platform === 'neutral' ? ['module', 'main'] : ['browser', 'module', 'main'],
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
  })
  return { file, inputs: Object.keys(result.metafile.inputs) }
}
