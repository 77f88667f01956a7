/**
 * `npm run demo`'s identity provider: the dev IdP (DEV_IDP_PORT, default 4000) hosting the MFA
 * delegation service. One-time codes are printed here, since the dev IdP sends no real email/SMS.
 */
import { closeOnSignal, devIdpBanner, devIdpPort } from '@org/dev-idp'
import { startDevServices } from './dev-services.js'

const services = await startDevServices({
  port: devIdpPort(),
  // Development only: printing a one-time code is what a real sender must never do.
  onCode: (sent) => console.log(`dev-idp: ${sent.method} code for ${sent.userId} (${sent.to}): ${sent.code}`),
})
console.log(devIdpBanner(services.idp))
console.log(
  `MFA delegation service: ${services.delegationUrl} (every demo is a registered service provider)\n`,
)
closeOnSignal('dev-idp', services.close)
