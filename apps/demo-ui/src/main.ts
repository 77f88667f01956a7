/**
 * `npm run demo`'s identity-provider side: the dev IdP (DEV_IDP_PORT, default 4000) hosting the
 * MFA delegation service, and the machine-to-machine token server (DEV_TOKEN_SERVER_PORT, default
 * 4100). One-time codes are printed here, since the dev IdP sends no real email/SMS, and so is the
 * seeded machine client's secret, new at every start.
 */
import { closeOnSignal, devIdpBanner, devIdpPort } from '@org/dev-idp'
import { startDevServices } from './dev-services.js'

const tokenServerPort = Number(process.env['DEV_TOKEN_SERVER_PORT'] ?? 4100)
if (!Number.isInteger(tokenServerPort) || tokenServerPort < 0 || tokenServerPort > 65_535) {
  console.error('dev-idp: DEV_TOKEN_SERVER_PORT must be a port number')
  process.exit(1)
}
const services = await startDevServices({
  port: devIdpPort(),
  tokenServerPort,
  env: process.env,
  // Development only: printing a one-time code is what a real sender must never do.
  onCode: (sent) => console.log(`dev-idp: ${sent.method} code for ${sent.userId} (${sent.to}): ${sent.code}`),
})
const { tokenServer } = services
console.log(devIdpBanner(services.idp))
console.log(
  `MFA delegation service: ${services.delegationUrl} (every demo is a registered service provider)\n`,
)
console.log(`Token server (client credentials): ${tokenServer.issuer} (clients and keys: ${tokenServer.database})
  seeded client: ${tokenServer.client.clientId}
  its secret (new at every start, shown only here): ${tokenServer.client.clientSecret}
  curl -s -u '${tokenServer.client.clientId}:${tokenServer.client.clientSecret}' -d grant_type=client_credentials -d scope=read ${tokenServer.issuer}/token
`)
closeOnSignal('dev-idp', services.close)
