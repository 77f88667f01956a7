import { defineConfig } from 'tsup'

export default defineConfig([
  {
    entry: ['src/index.ts'],
    // `.js` + `.d.ts` (ESM) and `.cjs` + `.d.cts` (CommonJS), as every package of the toolkit.
    format: ['esm', 'cjs'],
    target: 'es2022',
    dts: true,
    clean: true,
    sourcemap: true,
    treeshake: true,
    // `import.meta.url` (delegation-keys finds @org/auth-server's bin with it) in the CommonJS build.
    shims: true,
  },
  {
    // The bin runs as ESM only (bin/org-auth.js imports dist/bin.js; it uses top-level await).
    // jose is not bundled: this package does not import it, @org/auth-server's builds carry theirs.
    entry: ['src/bin.ts'],
    format: ['esm'],
    target: 'es2022',
    sourcemap: true,
    treeshake: true,
  },
])
