#!/usr/bin/env node
// The package's bin: a stable file in the source tree (so workspace installs can link it) that
// runs the compiled command from dist/.
import('../dist/bin/keys.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND') {
    console.error(
      'org-auth-keys: dist/ is missing; build the package first (pnpm --filter @org/auth-server build)',
    )
    process.exit(1)
  }
  throw error
})
