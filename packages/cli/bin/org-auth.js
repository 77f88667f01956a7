#!/usr/bin/env node
// The package's bin: a stable file in the source tree (so workspace installs can link it) that
// runs the compiled command from dist/.
import('../dist/bin.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    console.error('org-auth: dist/ is missing; build the package first (pnpm --filter @org/auth-cli build)')
    process.exit(1)
  }
  throw error
})
