import { defineConfig } from 'vitest/config'

// Signatures are checked through `node:crypto` where the runtime lends it and through Web Crypto
// elsewhere (edge runtimes, Workers). The `core-webcrypto` project runs every test that verifies
// a signature again with `node:crypto` withheld, so both paths answer the same suite.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Starting an OpenID Provider (RSA key generation) can take seconds on a loaded 2-core machine.
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'core', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'core-webcrypto',
          include: [
            'test/hostile-tokens.test.ts',
            'test/public-keys.test.ts',
            'test/signature-check.test.ts',
            'test/token-cache.test.ts',
            'test/oidc-provider.test.ts',
            'test/id-token.test.ts',
            'test/jose.property.test.ts',
          ],
          setupFiles: ['test/helpers/no-native-crypto.ts'],
        },
      },
    ],
  },
})
