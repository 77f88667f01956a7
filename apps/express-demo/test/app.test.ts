import { createTokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

let idp: DevIdp
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  idp = await startDevIdp()
  app = createApp(
    createTokenVerifier({ issuer: idp.issuer, audience: idp.resource, discovery: true, tokenType: 'access' }),
  )
})
afterAll(async () => {
  await idp.close()
})

describe('express-demo', () => {
  it('serves the profile of a valid token and refuses a missing one', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const ok = await supertest(app).get('/api/profile').set('Authorization', `Bearer ${token}`)
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ sub: 'dev-client', scopes: ['read'] })
    const missing = await supertest(app).get('/api/profile')
    expect(missing.status).toBe(401)
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="express-demo"')
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
