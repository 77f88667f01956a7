/**
 * Whether the process says it runs in production (`NODE_ENV=production`), read without importing
 * anything from `node:`: Node, Bun, Deno (with process), Next's edge bundles and Workers with
 * `nodejs_compat` expose `process.env`; elsewhere nothing says so and this is false.
 */
export function isProduction(): boolean {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return process?.env?.['NODE_ENV'] === 'production'
}
