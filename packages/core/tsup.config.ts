import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/delegation/index.ts'],
  // Declarations for both entries; tsconfig.json (no Node types) keeps the default entry runtime-agnostic.
  tsconfig: 'tsconfig.build.json',
  format: ['esm'],
  target: 'es2022',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
})
