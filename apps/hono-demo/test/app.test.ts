import { createTokenVerifier } from '@org/auth-core'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
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

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe('hono-demo', () => {
  it('serves the profile of a valid token and refuses a missing one', async () => {
    const ok = await app.request('/api/profile', bearer(await idp.getAccessToken({ scope: 'read' })))
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'dev-client', scopes: ['read'] })
    const missing = await app.request('/api/profile')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="hono-demo"')
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
