/**
 * Starts the Nest demo in this process on 127.0.0.1 (a free port), configured exactly as
 * `npm run demo` configures it, against the given dev IdP, on Express or Fastify.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth, createTokenVerifier } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { demoSettings } from '@org/demo-ui'
import { createApp } from '@org/nest-demo/app'
import type { RunningDemo } from './demos.js'

export async function startNestDemo(issuer: string, platform: 'express' | 'fastify'): Promise<RunningDemo> {
  const settings = demoSettings('nest', { ISSUER: issuer })
  const app = await createApp({
    verifier: createTokenVerifier(settings.verifier),
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
