import { defineConfig } from 'tsup'
import { copyJoseLicense, joseBundledInCjs } from '../../scripts/tsup-jose.mjs'

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
  // jose (ESM-only) is bundled into the CommonJS build only: see scripts/tsup-jose.mjs.
  ...joseBundledInCjs,
  onSuccess: async () => copyJoseLicense(import.meta.url),
})
