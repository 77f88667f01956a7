import { defineConfig } from 'vitest/config'

// One entry point for editors and `pnpm vitest`: every workspace package is a vitest project.
// CI runs each package's own `test` script through turbo instead, so packages stay independent.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'e2e', 'runtimes'],
  },
})
