import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'runtimes',
    include: ['test/**/*.test.ts'],
    // Each file starts a runtime of 100-160 MB from disk on 2 shared cores: be patient.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One runtime at a time: they compete for the same cores as the other suites.
    fileParallelism: false,
  },
})
