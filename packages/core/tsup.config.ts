import { copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { defineConfig, type Options } from 'tsup'

const JOSE = /^jose(\/|$)/

/**
 * jose 6 is ESM-only. Node >= 20.19 can require() it, but Jest's module system (a `nest new`
 * project's tests, ts-jest) cannot: the CommonJS build carries its own copy of jose, so nothing it
 * requires is ESM. The ESM build keeps importing the `jose` dependency. (tsup bundles through
 * esbuild in ESM format for both outputs when tree-shaking; TSUP_FORMAT tells them apart.)
 */
const joseExternalOutsideCjs: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'jose-external-outside-cjs',
  setup(build) {
    if (build.initialOptions.define?.['TSUP_FORMAT'] === '"cjs"') return
    build.onResolve({ filter: JOSE }, (args) => ({ path: args.path, external: true }))
  },
}

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/delegation/index.ts'],
  // Declarations for both entries; tsconfig.json (no Node types) keeps the default entry runtime-agnostic.
  tsconfig: 'tsconfig.build.json',
  // `.js` + `.d.ts` (ESM) and `.cjs` + `.d.cts` (CommonJS) for every entry.
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: true,
  clean: true,
  sourcemap: true,
  // One copy of each module per format (AuthError, caches): entries share chunks in CJS too.
  splitting: true,
  treeshake: true,
  noExternal: [JOSE],
  esbuildPlugins: [joseExternalOutsideCjs],
  // The bundled jose is MIT-licensed: its notice ships beside the code.
  onSuccess: async () => {
    const jose = dirname(createRequire(import.meta.url).resolve('jose/package.json'))
    copyFileSync(join(jose, 'LICENSE.md'), 'dist/jose.LICENSE.md')
  },
})
