import { type DevIdp, type DevIdpOptions, startDevIdp } from '@org/dev-idp'
import { afterEach } from 'vitest'

/**
 * Starts dev IdPs (oidc-provider on 127.0.0.1) for the tests of one file and closes every one
 * after each test. Call once at module level: `const idp = devIdps()`, then `await idp()`.
 */
export function devIdps(): (options?: DevIdpOptions) => Promise<DevIdp> {
  const started: DevIdp[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((i) => i.close()))
  })
  return async (options) => {
    const idp = await startDevIdp(options)
    started.push(idp)
    return idp
  }
}
