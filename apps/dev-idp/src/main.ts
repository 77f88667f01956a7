/**
 * Runs the dev IdP standalone: `pnpm --filter @org/dev-idp start` (port from DEV_IDP_PORT, default 4000).
 * The client id/secret are fixed, well-known values: for local development only.
 * (`npm run demo` runs @org/demo-ui's runner instead: this IdP plus the MFA delegation service.)
 */
import { closeOnSignal, devIdpBanner, devIdpPort } from './cli.js'
import { startDevIdp } from './index.js'

const idp = await startDevIdp({ port: devIdpPort() })
console.log(devIdpBanner(idp))
closeOnSignal('dev-idp', () => idp.close())
