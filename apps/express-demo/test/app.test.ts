import type { AddressInfo } from 'node:net'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DevServices, demoApiVerifier, demoSettings, startDevServices, tourDemo } from '@org/demo-ui'
import { expectDemoTour } from '@org/demo-ui/expect'
import type { DevIdp } from '@org/dev-idp'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

let services: DevServices
let idp: DevIdp
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  services = await startDevServices()
  idp = services.idp
  const settings = demoSettings('express', { ISSUER: idp.issuer })
  app = createApp({
    verifier: demoApiVerifier(settings),
    auth: createAuth(settings.auth),
    delegation: await DelegationClient.fromKeys(settings.delegation),
  })
})
afterAll(async () => {
  await services.close()
})

describe('express-demo', () => {
  it('serves the profile of a valid token and refuses a missing one', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const ok = await supertest(app).get('/api/profile').set('Authorization', `Bearer ${token}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ sub: 'dev-client', scopes: ['read'] })
    const missing = await supertest(app).get('/api/profile')
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toBe(
      'Bearer realm="express-demo", DPoP realm="express-demo", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
  })

  it('needs the write scope to create a note', async () => {
    const reader = await idp.getAccessToken({ scope: 'read' })
    expect((await supertest(app).post('/api/notes').set('Authorization', `Bearer ${reader}`)).status).toBe(
      403,
    )
    const writer = await idp.getAccessToken({ scope: 'read write' })
    const created = await supertest(app).post('/api/notes').set('Authorization', `Bearer ${writer}`)
    expect(created.status).toBe(201)
    expect(created.body).toEqual({ created: true, by: 'dev-client' })
  })
})

describe('express-demo web login and MFA settings', () => {
  it('signs in, shows the claims, calls the API, enrols TOTP and email MFA, and logs out', async () => {
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const tour = await tourDemo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, services)
      expectDemoTour(tour)
    } finally {
      server.close()
    }
  })
})
