import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/bin/keys.ts'],
  // tsconfig.json (no Node types) keeps the default entry runtime-agnostic; the bin is Node-only.
  tsconfig: 'tsconfig.build.json',
  format: ['esm'],
  target: 'es2022',
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  treeshake: true,
})
