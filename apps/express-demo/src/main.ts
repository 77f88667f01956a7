import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { demoApiVerifier, demoPasskeys, demoSettings } from '@org/demo-ui'
import { createApp } from './app.js'

const settings = demoSettings('express', process.env)
const app = createApp({
  verifier: demoApiVerifier(settings),
  auth: createAuth(settings.auth),
  delegation: await DelegationClient.fromKeys(settings.delegation),
  passkeys: demoPasskeys(settings),
})
app.listen(settings.port, 'localhost', () => {
  console.log(`express-demo on http://localhost:${settings.port} (issuer ${settings.issuer})`)
})
