import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { demoApiVerifier, demoPasskeys, demoSettings } from '@org/demo-ui'
import { createApp } from './app.js'

const settings = demoSettings('nest', process.env)
const platform = process.env['NEST_PLATFORM'] === 'fastify' ? 'fastify' : 'express'
const app = await createApp({
  verifier: demoApiVerifier(settings),
  auth: createAuth(settings.auth),
  delegation: await DelegationClient.fromKeys(settings.delegation),
  passkeys: demoPasskeys(settings),
  platform,
})
await app.listen(settings.port, 'localhost')
console.log(`nest-demo (${platform}) on http://localhost:${settings.port} (issuer ${settings.issuer})`)
