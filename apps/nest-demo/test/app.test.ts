import type { AddressInfo } from 'node:net'
import type { INestApplication } from '@nestjs/common'
import { createAuth } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { type DevServices, demoApiVerifier, demoSettings, startDevServices, tourDemo } from '@org/demo-ui'
import { expectDemoTour } from '@org/demo-ui/expect'
import type { DevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as PublicApi from '../src/app.api.js'
import { createApp } from '../src/app.js'

// What other packages see of ./app (src/app.api.d.ts) must be what it is.
createApp satisfies typeof PublicApi.createApp

describe.each(['express', 'fastify'] as const)('nest-demo on %s', (platform) => {
  // Services of its own per platform: the tour changes alice's MFA state at the IdP.
  let services: DevServices
  let idp: DevIdp
  let app: INestApplication
  let origin: string
  beforeAll(async () => {
    services = await startDevServices()
    idp = services.idp
    const settings = demoSettings('nest', { ISSUER: idp.issuer })
    app = await createApp({
      verifier: demoApiVerifier(settings),
      auth: createAuth(settings.auth),
      delegation: await DelegationClient.fromKeys(settings.delegation),
      platform,
    })
    await app.listen(0, '127.0.0.1')
    origin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await app?.close()
    await services?.close()
  })

  it('serves the profile of a valid token and refuses a missing one', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const ok = await fetch(`${origin}/api/profile`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'dev-client', scopes: ['read'] })
    const missing = await fetch(`${origin}/api/profile`)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(
      'Bearer realm="nest-demo", DPoP realm="nest-demo", algs="ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256"',
    )
  })

  it('needs the write scope to create a note', async () => {
    const reader = await idp.getAccessToken({ scope: 'read' })
    const refused = await fetch(`${origin}/api/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}` },
    })
    expect(refused.status).toBe(403)
    const writer = await idp.getAccessToken({ scope: 'read write' })
    const created = await fetch(`${origin}/api/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}` },
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toEqual({ created: true, by: 'dev-client' })
  })

  it('signs in, shows the claims, calls the API, enrols TOTP and email MFA, and logs out', async () => {
    expectDemoTour(await tourDemo(origin, services))
  })
})
