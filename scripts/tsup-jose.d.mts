import type { Options } from 'tsup'

/** tsup options: jose bundled into the CommonJS build only. */
export declare const joseBundledInCjs: Pick<Options, 'noExternal' | 'esbuildPlugins'>
/** Copies jose's licence to `dist/jose.LICENSE.md` (call from `onSuccess`). */
export declare function copyJoseLicense(packageUrl: string): void
