/**
 * What a process running the dev IdP needs: its port from the environment, the banner of URLs,
 * clients and users, and a clean shutdown on Ctrl-C. Shared by `start` here and the demo runner
 * (@org/demo-ui), which adds the delegation service.
 */

import { DEV_USERS, MFA_OTP_CODE } from './accounts.js'
import { DEMO_CLIENTS } from './clients.js'
import type { DevIdp } from './types.js'

/** The port in `DEV_IDP_PORT` (default 4000); exits on a malformed value. */
export function devIdpPort(): number {
  const port = Number(process.env['DEV_IDP_PORT'] ?? 4000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`dev-idp: invalid DEV_IDP_PORT ${JSON.stringify(process.env['DEV_IDP_PORT'])}`)
    process.exit(1)
  }
  return port
}

/** The URLs, clients and users of a running dev IdP, for the console. Development values only. */
export function devIdpBanner(idp: DevIdp): string {
  const { clientId, clientSecret, redirectUri } = idp.client
  return `dev-idp (local development only) listening
  issuer:    ${idp.issuer}
  discovery: ${idp.issuer}/.well-known/openid-configuration
  jwks:      ${idp.jwksUri}
  resource:  ${idp.resource}
  client:    ${clientId} / ${clientSecret} (redirect ${redirectUri}, any loopback port)
  more:      ${idp.clients.post.clientId} / ${idp.clients.post.clientSecret} (client_secret_post), ${idp.clients.public.clientId} (public, PKCE), ${idp.clients.jwt.clientId} (private_key_jwt)
  users:     ${DEV_USERS.map((user) => `${user.username} / ${user.password}${user.mfa ? ` (MFA, otp ${MFA_OTP_CODE})` : ''}`).join(', ')}
  login:     ${idp.endpoints.authorization} (the demos send the browser here: a login page, then consent)

Demo clients (client_secret_basic; redirect and logout URIs match on localhost or 127.0.0.1, any port):
${Object.values(DEMO_CLIENTS)
  .map(
    (demo) =>
      `  ${demo.clientId.padEnd(13)} ${demo.clientSecret.padEnd(20)} ${demo.redirectUri}  logout ${demo.postLogoutRedirectUri}`,
  )
  .join('\n')}

Get a client-credentials access token:
  curl -s -u ${clientId}:${clientSecret} \\
    -d grant_type=client_credentials -d 'scope=read write' \\
    --data-urlencode resource=${idp.resource} \\
    ${idp.issuer}/token
`
}

/** Closes `close` and exits on SIGINT / SIGTERM (once). */
export function closeOnSignal(name: string, close: () => Promise<void>): void {
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    console.log(`${name}: ${signal}, shutting down`)
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`${name}: close failed`, error)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}
