/**
 * Child-process entry of `pnpm bench:soak`: the dev IdP on 127.0.0.1 (a free port), with the
 * access-token lifetime from SOAK_TOKEN_TTL. A process of its own, so the IdP's work (logins,
 * refreshes, token minting) neither shares the load generator's event loop nor the demo's.
 */
import { startDevIdp } from '@org/dev-idp'

export type IdpMessage =
  | { type: 'ready'; issuer: string; tokenEndpoint: string; resource: string }
  | { type: 'error'; message: string }

try {
  const ttl = Number(process.env['SOAK_TOKEN_TTL'])
  const idp = await startDevIdp({ port: 0, accessTokenTtl: ttl })
  process.send?.({
    type: 'ready',
    issuer: idp.issuer,
    tokenEndpoint: idp.endpoints.token,
    resource: idp.resource,
  } satisfies IdpMessage)
  const stop = () => void idp.close().finally(() => process.exit(0))
  // The parent going away (crash, Ctrl-C) must not leave the IdP behind.
  process.on('disconnect', stop)
  process.on('SIGTERM', stop)
} catch (error) {
  process.send?.({
    type: 'error',
    message: error instanceof Error ? error.message : String(error),
  } satisfies IdpMessage)
  process.exitCode = 1
  process.disconnect?.()
}
