// jose 6 is ESM-only. Node >= 20.19 can require() it, but Jest's module system (a `nest new`
// project's tests, ts-jest) cannot: a package's CommonJS build carries its own copy of jose, so
// nothing it requires is ESM, while its ESM build keeps importing the `jose` dependency. (tsup
// bundles through esbuild in ESM format for both outputs when tree-shaking; TSUP_FORMAT tells them
// apart.) Shared by the tsup configs of the packages that use jose at run time.
import { copyFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const JOSE = /^jose(\/|$)/

/** tsup options: jose bundled into the CommonJS build only. */
export const joseBundledInCjs = {
  noExternal: [JOSE],
  esbuildPlugins: [
    {
      name: 'jose-external-outside-cjs',
      setup(build) {
        if (build.initialOptions.define?.['TSUP_FORMAT'] === '"cjs"') return
        build.onResolve({ filter: JOSE }, (args) => ({ path: args.path, external: true }))
      },
    },
  ],
}

/** The bundled jose is MIT-licensed: its notice ships beside the code (call from `onSuccess`). */
export function copyJoseLicense(packageUrl) {
  const jose = dirname(createRequire(packageUrl).resolve('jose/package.json'))
  copyFileSync(join(jose, 'LICENSE.md'), 'dist/jose.LICENSE.md')
}
