import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** Where the `nest12-*` aliases (npm:@nestjs/*@12) are installed. */
function nest12(name: string): string {
  return realpathSync(fileURLToPath(new URL(`./node_modules/nest12-${name}`, import.meta.url)))
}
const NEST_PACKAGES = ['common', 'core', 'testing', 'platform-express', 'platform-fastify']

// The same tests twice: against NestJS 11 (the `@nestjs/*` dev dependencies) and NestJS 12 (the
// `nest12-*` aliases). For 12, every `@nestjs/*` import, ours and Nest's own, is pointed at the 12
// copy, and Nest is transformed by Vite instead of loaded by Node: Node would resolve the peer
// imports inside Nest 12 to the 11 copy that pnpm links there. (The repository's root config,
// which does not nest projects, runs the top-level settings: NestJS 11.)
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Starting an OpenID Provider (RSA key generation) can take seconds on a loaded 2-core machine.
    hookTimeout: 60_000,
    env: { NEST_MAJOR: '11' },
    projects: [
      { extends: true, test: { name: 'nest' } },
      {
        extends: true,
        test: { name: 'nest12', env: { NEST_MAJOR: '12' }, server: { deps: { inline: [/@nestjs\//] } } },
        resolve: {
          alias: NEST_PACKAGES.map((name) => ({
            find: new RegExp(`^@nestjs/${name}(?=/|$)`),
            replacement: nest12(name),
          })),
        },
      },
    ],
  },
})
