/**
 * Starts the Nest demo in this process on 127.0.0.1 (a free port), configured exactly as
 * `npm run demo` configures it, against the given dev IdP, on Express or Fastify.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { demoApiVerifier, demoSettings } from '@org/demo-ui'
import { createApp } from '@org/nest-demo/app'
import type { DemoIssuers, RunningDemo } from './demos.js'

export async function startNestDemo(
  issuers: DemoIssuers,
  platform: 'express' | 'fastify',
): Promise<RunningDemo> {
  const settings = demoSettings('nest', { ISSUER: issuers.issuer, MACHINE_ISSUER: issuers.machineIssuer })
  const app = await createApp({
    verifier: demoApiVerifier(settings),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
    platform,
  })
  await app.listen(0, '127.0.0.1')
  const server = app.getHttpServer() as Server
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => app.close(),
  }
}
