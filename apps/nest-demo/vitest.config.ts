import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'nest-demo',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Starting an OpenID Provider (RSA key generation) can take seconds on a loaded 2-core machine.
    hookTimeout: 60_000,
  },
})
