import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DevServices, demoApiVerifier, demoSettings, startDevServices, tourDemo } from '@org/demo-ui'
import { expectDemoTour } from '@org/demo-ui/expect'
import type { DevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

let services: DevServices
let idp: DevIdp
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  services = await startDevServices()
  idp = services.idp
  const settings = demoSettings('hono', { ISSUER: idp.issuer })
  app = createApp({
    verifier: demoApiVerifier(settings),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
  })
})
afterAll(async () => {
  await services.close()
})

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('hono-demo', () => {
  it('serves the profile of a valid token and refuses a missing one', async () => {
    const ok = await app.request('/api/profile', bearer(await idp.getAccessToken({ scope: 'read' })))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'dev-client', scopes: ['read'] })
    const missing = await app.request('/api/profile')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer realm="hono-demo", DPoP realm="hono-demo", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
  })

  it('needs the write scope to create a note', async () => {
    const reader = await idp.getAccessToken({ scope: 'read' })
    const denied = await app.request('/api/notes', { method: 'POST', ...bearer(reader) })
    expect(denied.status).toBe(403)
    expect(denied.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="hono-demo", error="insufficient_scope"/,
    )
    const writer = await idp.getAccessToken({ scope: 'read write' })
    const created = await app.request('/api/notes', { method: 'POST', ...bearer(writer) })
    expect(created.status).toBe(201)
  })
})

describe('hono-demo web login and MFA settings', () => {
  it('signs in, shows the claims, calls the API, enrols TOTP and email MFA, and logs out', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const tour = await tourDemo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, services)
      expectDemoTour(tour)
    } finally {
      server.close()
    }
  })
})
