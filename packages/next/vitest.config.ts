import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** Where the `next15` alias (npm:next@15) is installed. */
const NEXT15 = realpathSync(fileURLToPath(new URL('./node_modules/next15', import.meta.url)))

// The same tests twice: against Next 16 (the `next` dev dependency) and Next 15 (the `next15`
// alias). For 15, every `next` and `next/...` import of ours and of the tests (`next/server`,
// `next/headers`, `next/navigation`, `next/dist/...`, `next/package.json`) is pointed at the 15
// copy. Next needs no inlining: its own imports are relative or of `next` itself, which Node
// resolves to the copy it sits in. The edge test bundles with esbuild, which ignores these
// aliases: it reads NEXT_PACKAGE instead. (The repository's root config, which does not nest
// projects, runs the top-level settings: Next 16.)
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Starting an OpenID Provider (RSA key generation) can take seconds on a loaded 2-core machine.
    hookTimeout: 60_000,
    env: { NEXT_MAJOR: '16', NEXT_PACKAGE: 'next' },
    projects: [
      { extends: true, test: { name: 'next' } },
      {
        extends: true,
        test: { name: 'next15', env: { NEXT_MAJOR: '15', NEXT_PACKAGE: 'next15' } },
        resolve: { alias: [{ find: /^next(?=\/|$)/, replacement: NEXT15 }] },
      },
    ],
  },
})
