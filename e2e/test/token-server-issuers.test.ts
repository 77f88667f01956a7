/**
 * The token server's tokens where only the token server is trusted: the core's verifier and the
 * Express, Hono and Nest adapters (through their demos, given a verifier of that one issuer)
 * accept them, and refuse a token of another issuer (the dev IdP's oidc-provider) that names the
 * same audience. The Next adapter takes its verifier the same way; its demo, which trusts both,
 * runs the machine-token scenario in next-demo.test.ts.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { type AuthError, createAuth, createTokenVerifier, type TokenVerifier } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DemoName, type DevServices, demoSettings, startDevServices } from '@org/demo-ui'
import { createApp as createExpressDemo } from '@org/express-demo/app'
import { createApp as createHonoDemo } from '@org/hono-demo/app'
import { createApp as createNestDemo } from '@org/nest-demo/app'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let services: DevServices
let ours: string
let theirs: string
const closers: Array<() => Promise<unknown>> = []

async function machineToken(): Promise<string> {
  const { issuer, client } = services.tokenServer
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      scope: 'read',
    }),
  })
  expect(response.status).toBe(200)
  return ((await response.json()) as { access_token: string }).access_token
}

/** A demo's options with the bearer verifier of the token server alone. */
async function machineOnly(name: DemoName) {
  const settings = demoSettings(name, {
    ISSUER: services.idp.issuer,
    MACHINE_ISSUER: services.tokenServer.issuer,
  })
  return {
    verifier: createTokenVerifier(settings.machineVerifier),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
  }
}

function originOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const ADAPTERS: Record<'express' | 'hono' | 'nest', () => Promise<string>> = {
  express: async () => {
    const server = createExpressDemo(await machineOnly('express')).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    closers.push(() => new Promise((resolve) => server.close(resolve)))
    return originOf(server)
  },
  hono: async () => {
    const app = createHonoDemo(await machineOnly('hono'))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    if (!server.listening) await new Promise((resolve) => server.once('listening', resolve))
    closers.push(() => new Promise((resolve) => server.close(resolve)))
    return originOf(server)
  },
  nest: async () => {
    const app = await createNestDemo({ ...(await machineOnly('nest')), platform: 'express' })
    await app.listen(0, '127.0.0.1')
    closers.push(() => app.close())
    return originOf(app.getHttpServer() as Server)
  },
}

beforeAll(async () => {
  services = await startDevServices()
  ours = await machineToken()
  // Same audience as ours (https://api.example.test): only the issuer tells them apart.
  theirs = await services.idp.getAccessToken({ scope: 'read' })
})
afterAll(async () => {
  for (const close of closers) await close()
  await services?.close()
})

describe('a resource server that trusts only the token server', () => {
  let verifier: TokenVerifier
  beforeAll(() => {
    verifier = createTokenVerifier({
      issuer: services.tokenServer.issuer,
      audience: 'https://api.example.test',
      discovery: true,
    })
  })

  it("verifies the token server's token through its RFC 8414 metadata (the core's verifier)", async () => {
    const claims = await verifier.verify(ours)
    expect(claims).toMatchObject({
      iss: services.tokenServer.issuer,
      sub: services.tokenServer.client.clientId,
      client_id: services.tokenServer.client.clientId,
      aud: 'https://api.example.test',
      scope: 'read',
    })
  })

  it("refuses oidc-provider's token for the same audience", async () => {
    const refused = await verifier.verify(theirs).then(
      () => undefined,
      (error: AuthError) => error,
    )
    // The signature is checked before the claims: none of the token server's keys has its `kid`.
    expect(refused?.code).toBe('ERR_JWKS_NO_MATCHING_KEY')
  })

  it.each(Object.keys(ADAPTERS) as (keyof typeof ADAPTERS)[])(
    'the %s adapter serves its API to ours and answers 401 invalid_token to theirs',
    async (name) => {
      const origin = await ADAPTERS[name]()
      const call = (token: string) =>
        fetch(`${origin}/api/profile`, { headers: { authorization: `Bearer ${token}` } })
      const accepted = await call(ours)
      expect(accepted.status).toBe(200)
      expect(await accepted.json()).toEqual({ sub: services.tokenServer.client.clientId, scopes: ['read'] })
      const refused = await call(theirs)
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"')
    },
  )
})
