import { fileURLToPath } from 'node:url'

// The monorepo root: pnpm links the workspace packages from there.
const root = fileURLToPath(new URL('../..', import.meta.url))

/** @type {import('next').NextConfig} */
const config = {
  // The workspace packages are TypeScript sources (their exports point at src/).
  transpilePackages: [
    '@org/auth-core',
    '@org/auth-next',
    '@org/auth-passkeys',
    '@org/demo-ui',
    '@org/dev-idp',
  ],
  poweredByHeader: false,
  outputFileTracingRoot: root,
  // Turbopack (Next 16's default bundler) resolves the sources' `./file.js` imports to
  // `./file.ts` because tsconfig.json uses NodeNext resolution.
  turbopack: { root },
}

export default config
