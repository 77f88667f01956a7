import { serve } from '@hono/node-server'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { demoApiVerifier, demoPasskeys, demoSettings } from '@org/demo-ui'
import { createApp } from './app.js'

const settings = demoSettings('hono', process.env)
const app = createApp({
  verifier: demoApiVerifier(settings),
  auth: createAuth(settings.auth),
  delegation: await DelegationClient.fromKeys(settings.delegation),
  passkeys: demoPasskeys(settings),
})
serve({ fetch: app.fetch, port: settings.port, hostname: 'localhost' }, () => {
  console.log(`hono-demo on http://localhost:${settings.port} (issuer ${settings.issuer})`)
})
