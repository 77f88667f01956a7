import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    // A browser, an IdP and app servers share 2 cores with the other suites: be patient.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // One Chromium at a time.
    fileParallelism: false,
  },
})
