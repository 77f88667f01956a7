import { rmSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { copyJoseLicense, joseBundledInCjs } from '../../scripts/tsup-jose.mjs'

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/bin/keys.ts'],
  // tsconfig.json (no Node types) keeps the default entry runtime-agnostic; the bin is Node-only.
  tsconfig: 'tsconfig.build.json',
  // `.js` + `.d.ts` (ESM) and `.cjs` + `.d.cts` (CommonJS: `nest new` projects, Express CJS apps).
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: { entry: ['src/index.ts', 'src/node.ts'] },
  clean: true,
  sourcemap: true,
  // Entries share chunks in both formats: one copy of each module per format.
  splitting: true,
  treeshake: true,
  // jose (ESM-only, used by the token server and key ring) is bundled into the CommonJS build only.
  ...joseBundledInCjs,
  // The bin runs as ESM (bin/org-auth-keys.js imports dist/bin/keys.js): no CommonJS copy of it ships.
  onSuccess: async () => {
    for (const file of ['dist/bin/keys.cjs', 'dist/bin/keys.cjs.map']) rmSync(file, { force: true })
    copyJoseLicense(import.meta.url)
  },
})
