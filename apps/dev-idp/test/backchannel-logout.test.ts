import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientMetadata, devClients, jwtClientKeys } from '../src/clients.js'
import { CookieJar, DEMO_CLIENTS, type DevIdp, startDevIdp } from '../src/index.js'

// Back-channel logout at the dev IdP: the demo clients' registered URIs, the override for an app
// on a free port, and the logout token oidc-provider POSTs when the user signs out.
let idp: DevIdp
let server: Server
const received: { contentType: string | undefined; body: string }[] = []
beforeAll(async () => {
  idp = await startDevIdp()
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      received.push({ contentType: req.headers['content-type'], body })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  server?.close()
  await idp?.close()
})

describe('dev IdP back-channel logout', () => {
  it('registers each demo client’s backchannel_logout_uri (sid required), and an override', async () => {
    const clients = devClients(await jwtClientKeys(undefined))
    const byId = (list: ReturnType<typeof clientMetadata>, id: string) => list.find((c) => c.client_id === id)
    const defaults = clientMetadata(clients)
    expect(byId(defaults, 'express-demo')).toMatchObject({
      backchannel_logout_uri: 'http://localhost:3001/auth/backchannel-logout',
      backchannel_logout_session_required: true,
    })
    expect(byId(defaults, 'next-demo')?.backchannel_logout_uri).toBe(
      'http://localhost:3004/api/auth/backchannel-logout',
    )
    expect(byId(defaults, 'dev-client')?.backchannel_logout_uri).toBeUndefined()
    const moved = clientMetadata(clients, new Map([['dev-client', 'http://127.0.0.1:9/bcl']]))
    expect(byId(moved, 'dev-client')?.backchannel_logout_uri).toBe('http://127.0.0.1:9/bcl')
    expect(DEMO_CLIENTS.hono.backchannelLogoutUri).toBe('http://localhost:3002/auth/backchannel-logout')
  })

  it('POSTs a signed logout token (typ logout+jwt, sub, sid, events) when the user signs out', async () => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    idp.setBackchannelLogoutUri(idp.clients.basic.clientId, `${origin}/bcl`)
    const jar = new CookieJar()
    const authorization = new URL(idp.endpoints.authorization)
    for (const [name, value] of Object.entries({
      client_id: idp.clients.basic.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: 'http://127.0.0.1:8765/callback',
      nonce: 'n',
    }))
      authorization.searchParams.set(name, value)
    await idp.authorize(authorization, { sub: 'bob', jar })
    const landed = await idp.endSession(jar)
    expect(landed.origin).toBe(idp.issuer) // no post_logout_redirect_uri: the IdP's own page

    expect(received).toHaveLength(1)
    expect(received[0]?.contentType).toBe('application/x-www-form-urlencoded')
    const token = new URLSearchParams(received[0]?.body).get('logout_token') as string
    expect(decodeProtectedHeader(token).typ).toBe('logout+jwt')
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: idp.clients.basic.clientId,
    })
    expect(payload).toMatchObject({
      sub: 'bob',
      sid: expect.any(String),
      jti: expect.any(String),
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    })
    expect(decodeJwt(token).nonce).toBeUndefined()
  })
})
