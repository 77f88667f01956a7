import type { AddressInfo } from 'node:net'
import { createAuth, createTokenVerifier } from '@org/auth-core'
import { demoSettings } from '@org/demo-ui'
import { type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

let idp: DevIdp
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  idp = await startDevIdp()
  const settings = demoSettings('express', { ISSUER: idp.issuer })
  app = createApp({ verifier: createTokenVerifier(settings.verifier), auth: createAuth(settings.auth) })
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

describe('express-demo web login', () => {
  it('signs in, shows the claims, calls the API with the session token, and logs out', async () => {
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const signedOut = await fetch(`${origin}/`)
      expect(await signedOut.text()).toContain('id="signed-out"')
      const { jar, landing } = await signInToApp(idp.authorize, `${origin}/auth/login`)
      expect(landing.headers.get('location')).toBe('/')
      const home = await (await fetch(`${origin}/`, { headers: { cookie: jar.header() } })).text()
      expect(home).toContain('<code id="sub">alice</code>')
      expect(home).toContain('alice@example.test')
      const profile = await (await fetch(`${origin}/profile`, { headers: { cookie: jar.header() } })).text()
      expect(profile).toMatch(/id="status-0">200</)
      expect(profile).toMatch(/id="status-1">201</)
      expect(profile).toMatch(/id="status-2">403</)
      expect(profile).not.toMatch(/eyJ/) // the access token stays on the server
      const logout = await fetch(`${origin}/auth/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: jar.header(), origin },
      })
      jar.store(logout)
      expect(logout.status).toBe(303)
      expect(logout.headers.get('location')).toMatch(/\/session\/end\?/)
      // fetch() always sends Sec-Fetch-Mode: cors, so this is an API call: 401, not a login redirect
      // (the browser tests in e2e/ see the redirect of a real navigation).
      const after = await fetch(`${origin}/profile`, {
        redirect: 'manual',
        headers: { cookie: jar.header() },
      })
      expect(after.status).toBe(401)
    } finally {
      server.close()
    }
  })
})
