import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  // `.js` + `.d.ts` (ESM) and `.cjs` + `.d.cts` (CommonJS: `nest new` projects, Express CJS apps).
  format: ['esm', 'cjs'],
  target: 'es2022',
  dts: true,
  clean: true,
  sourcemap: true,
  treeshake: true,
})
