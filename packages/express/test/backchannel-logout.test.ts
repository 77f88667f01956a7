import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuth, MemorySessionStore, OAuthClient } from '@org/auth-core'
import { CookieJar, type DevIdp, signInToApp, startDevIdp } from '@org/dev-idp'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { auth, requireSession } from '../src/index.js'

// Back-Channel Logout through @org/auth-express: oidc-provider POSTs the logout token to the
// route `auth()` mounts, server to server (no Origin, no Sec-Fetch-Site, no cookie).
const SECRET = 'an-express-test-secret-that-is-long-enough'
let idp: DevIdp | undefined
let server: Server | undefined
afterEach(async () => {
  server?.close()
  await idp?.close()
  idp = server = undefined
})

async function start(bodyParserFirst: boolean) {
  idp = await startDevIdp()
  const client = await OAuthClient.discover(idp.issuer, {
    clientId: 'express-demo',
    clientSecret: 'express-demo-secret',
  })
  const login = createAuth({
    client,
    authorizationParams: { prompt: 'consent' },
    session: { secrets: SECRET, store: new MemorySessionStore() },
    backchannelLogout: true,
  })
  const app = express()
  // An application-wide form parser ahead of auth(): the bridge rebuilds the body from req.body.
  if (bodyParserFirst) app.use(express.urlencoded({ extended: false }))
  app.use(auth(login))
  app.get('/dashboard', requireSession(), (req, res) => {
    res.send(`hello ${req.auth?.claims.sub}`)
  })
  const listening = app.listen(0, '127.0.0.1')
  server = listening
  await new Promise((resolve) => listening.once('listening', resolve))
  const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
  idp.setBackchannelLogoutUri('express-demo', `${origin}${login.paths.backchannelLogout}`)
  return { origin, provider: idp }
}

describe('@org/auth-express back-channel logout', () => {
  for (const bodyParserFirst of [false, true]) {
    it(`ends the session when the user signs out at the IdP${bodyParserFirst ? ' (urlencoded parser first)' : ''}`, async () => {
      const { origin, provider } = await start(bodyParserFirst)
      const idpJar = new CookieJar()
      const { jar } = await signInToApp(
        (url, as) => provider.authorize(url, { ...as, jar: idpJar }),
        `${origin}/auth/login`,
      )
      const signedIn = await fetch(`${origin}/dashboard`, { headers: { cookie: jar.header() } })
      expect(await signedIn.text()).toBe('hello alice')

      await provider.endSession(idpJar)
      const after = await fetch(`${origin}/dashboard`, {
        redirect: 'manual',
        headers: { cookie: jar.header(), accept: 'application/json' },
      })
      expect(after.status).toBe(401)
    })
  }

  it('answers a refused logout token 400 invalid_request (JSON), whatever the Origin', async () => {
    const { origin } = await start(false)
    const response = await fetch(`${origin}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://elsewhere.example' },
      body: 'logout_token=not.a.token',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ error: 'invalid_request' })
  })
})
