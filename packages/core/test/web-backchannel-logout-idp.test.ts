import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CookieJar, type DevIdp } from '@org/dev-idp'
import { afterEach, describe, expect, it } from 'vitest'
import { type Auth, MemorySessionStore } from '../src/index.js'
import { nodeHandler } from '../src/node.js'
import { devIdps } from './helpers/dev-idps.js'
import { authFor, SECRET, TestBrowser } from './helpers/web-login.js'

// Back-Channel Logout against the real provider: oidc-provider signs the logout token and POSTs
// it over HTTP to the application's route when the user signs out at its end_session endpoint.
const idp = devIdps()
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
})

/** The application on a real port (the provider must reach it), and what reached its logout route. */
async function application(provider: DevIdp, store: MemorySessionStore) {
  let auth: Auth | undefined
  const posts: { status: number; body: string }[] = []
  const server = createServer((req, res) => {
    if (auth === undefined) return void res.writeHead(503).end()
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      const serve = nodeHandler(async (request) => {
        const response = await (auth as Auth).handler(request)
        if (req.url === '/backchannel-logout') posts.push({ status: response.status, body })
        return response
      })
      // The body was read here to record it: hand the bridge a fresh copy.
      Object.assign(req, { body: Object.fromEntries(new URLSearchParams(body)) })
      serve(req, res)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  auth = await authFor(provider, { backchannelLogout: true, session: { secrets: SECRET, store } })
  provider.setBackchannelLogoutUri(provider.clients.basic.clientId, `${origin}/backchannel-logout`)
  return { auth, origin, posts }
}

/** A browser signed in to the application, and its cookie jar at the IdP (its IdP session). */
async function signedIn(provider: DevIdp, auth: Auth, origin: string, sub = 'alice') {
  const browser = new TestBrowser(auth, origin)
  const jar = new CookieJar()
  const login = await browser.fetch('/login')
  const callback = await provider.authorize(login.headers.get('location') as string, { sub, jar })
  const landing = await browser.fetch(callback.pathname + callback.search)
  expect(landing.status).toBe(302)
  return { browser, jar }
}

describe('back-channel logout with the dev IdP (oidc-provider)', () => {
  it('signing out at the IdP ends that IdP session’s sessions here, and only those', async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const { auth, origin, posts } = await application(provider, store)
    const laptop = await signedIn(provider, auth, origin)
    const phone = await signedIn(provider, auth, origin)
    const bob = await signedIn(provider, auth, origin, 'bob')
    // Each login recorded its IdP session (`sid` of the ID token: backchannel_logout_session_required).
    const sids = (await store.listUserSessions('alice')).map((session) => session.idpSid)
    expect(sids).toEqual([expect.any(String), expect.any(String)])
    expect(new Set(sids).size).toBe(2)

    await provider.endSession(laptop.jar)
    expect(posts).toEqual([{ status: 200, body: expect.stringMatching(/^logout_token=/) }])

    // The laptop's session is gone: its next request is signed out and its cookie deleted.
    expect(await auth.getSession(laptop.browser.request('/'))).toBeNull()
    const next = await laptop.browser.fetch('/session')
    expect(next.status).toBe(401)
    expect(laptop.browser.cookies.size).toBe(0)
    // The phone (another IdP session of the same user) and Bob stay signed in.
    expect((await phone.browser.fetch('/session')).status).toBe(200)
    expect((await bob.browser.fetch('/session')).status).toBe(200)
    expect(await store.listUserSessions('alice')).toHaveLength(1)
  })

  it('refuses the provider’s token replayed to the route', async () => {
    const provider = await idp()
    const store = new MemorySessionStore()
    const { auth, origin, posts } = await application(provider, store)
    const first = await signedIn(provider, auth, origin)
    await provider.endSession(first.jar)
    expect(posts.map((post) => post.status)).toEqual([200])

    await signedIn(provider, auth, origin) // a new login afterwards
    const replay = await fetch(`${origin}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: posts[0]?.body,
    })
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('ERR_LOGOUT_TOKEN_REPLAYED'),
    })
    expect(await store.listUserSessions('alice')).toHaveLength(1) // the new login survives
  })
})
