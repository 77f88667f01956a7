import { rmSync } from 'node:fs'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  // `.js` + `.d.ts` (ESM) and `.cjs` + `.d.cts` (CommonJS), as every package of the toolkit.
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  // The bin and the library share one copy of the code per format.
  splitting: true,
  treeshake: true,
  // `import.meta.url` (delegation-keys finds @org/auth-server's bin with it) in the CommonJS build.
  shims: true,
  // No jose here: this package does not import it, and @org/auth-server's builds carry their own.
  // The bin runs as ESM (bin/org-auth.js imports dist/bin.js): no CommonJS copy of it ships.
  onSuccess: async () => {
    for (const file of ['dist/bin.cjs', 'dist/bin.cjs.map']) rmSync(file, { force: true })
  },
})
