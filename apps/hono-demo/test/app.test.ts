import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createAuth, createTokenVerifier } from '@org/auth-core'
import { demoSettings } from '@org/demo-ui'
import { type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

let idp: DevIdp
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  idp = await startDevIdp()
  const settings = demoSettings('hono', { ISSUER: idp.issuer })
  app = createApp({ verifier: createTokenVerifier(settings.verifier), auth: createAuth(settings.auth) })
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

describe('hono-demo web login', () => {
  it('signs in, shows the claims, calls the API with the session token, and logs out', async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const signedOut = await fetch(`${origin}/`)
      expect(await signedOut.text()).toContain('id="signed-out"')
      const { jar, landing } = await signInToApp(idp.authorize, `${origin}/auth/login?returnTo=/profile`)
      expect(landing.headers.get('location')).toBe('/profile')
      const home = await (await fetch(`${origin}/`, { headers: { cookie: jar.header() } })).text()
      expect(home).toContain('<code id="sub">alice</code>')
      const profile = await (await fetch(`${origin}/profile`, { headers: { cookie: jar.header() } })).text()
      expect(profile).toMatch(/id="status-0">200</)
      expect(profile).toMatch(/id="status-1">201</)
      expect(profile).toMatch(/id="status-2">403</)
      expect(profile).not.toMatch(/eyJ/)
      const logout = await fetch(`${origin}/auth/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), origin },
      })
      jar.store(logout)
      expect(logout.status).toBe(303)
      const api = await fetch(`${origin}/profile`, { redirect: 'manual', headers: { cookie: jar.header() } })
      expect(api.status).toBe(401)
    } finally {
      server.close()
    }
  })
})
