/**
 * Setup file of the `core-webcrypto` project: the runtime lends no `node:crypto`, as on edge
 * runtimes and Workers, so every signature goes through the portable Web Crypto path. The probe
 * reads `process.getBuiltinModule` on first use, after this file ran.
 */
Object.defineProperty(process, 'getBuiltinModule', { value: undefined, configurable: true, writable: true })
