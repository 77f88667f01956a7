import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { createAuth } from '@org/auth-core'
import { afterEach, describe, expect, it } from 'vitest'
import { createPasskeyPages } from '../src/index.js'

// The demos' passkeys page: where the relying party is served, and its scripts whole over HTTP.
const auth = createAuth({
  issuer: 'http://127.0.0.1:9/never-asked',
  clientId: 'demo',
  session: { secrets: 'a-demo-ui-test-secret-that-is-long-enough-01' },
})
const paths = { login: '/auth/login', logout: '/auth/logout' }
let server: ServerType | undefined
afterEach(() => {
  server?.close()
  server = undefined
})

describe('createPasskeyPages', () => {
  it('serves both scripts whole on @hono/node-server, one after the other', async () => {
    const pages = createPasskeyPages({ demo: 'test', auth, paths })
    const listening = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: pages, port: 0, hostname: '127.0.0.1' }, () => resolve(started))
    })
    server = listening
    const origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
    const direct = await (await pages(new Request(`${origin}/passkeys/webauthn.js`))).arrayBuffer()
    for (const path of ['/passkeys/client.js', '/passkeys/webauthn.js']) {
      const response = await fetch(`${origin}${path}`)
      const body = new Uint8Array(await response.arrayBuffer())
      expect(Number(response.headers.get('content-length'))).toBe(body.byteLength)
      if (path.endsWith('webauthn.js')) expect(body.byteLength).toBe(direct.byteLength)
    }
  })

  it('serves the relying party on localhost only, or on APP_BASE_URL only', async () => {
    const pages = createPasskeyPages({ demo: 'test', auth, paths })
    const onIp = await pages(new Request('http://127.0.0.1:3001/passkeys'))
    expect(await onIp.text()).toContain('http://localhost:3001/passkeys')
    expect(
      (
        await pages(
          new Request('http://127.0.0.1:3001/passkeys/authenticate/options', {
            method: 'POST',
            headers: { 'sec-fetch-site': 'same-origin' },
          }),
        )
      ).status,
    ).toBe(404)
    const local = await pages(
      new Request('http://localhost:3001/passkeys/authenticate/options', {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin' },
      }),
    )
    expect(await local.json()).toMatchObject({ rpId: 'localhost' })

    const deployed = createAuth({
      issuer: 'http://127.0.0.1:9/never-asked',
      clientId: 'demo',
      baseUrl: 'https://demo.example',
      session: { secrets: 'a-demo-ui-test-secret-that-is-long-enough-01' },
    })
    const fixed = createPasskeyPages({ demo: 'test', auth: deployed, paths, baseUrl: 'https://demo.example' })
    const elsewhere = await fixed(
      new Request('http://localhost:3001/passkeys/register/options', { method: 'POST' }),
    )
    expect(elsewhere.status).toBe(404)
    const page = await fixed(new Request('https://demo.example/passkeys'))
    expect(await page.text()).toContain('id="passkey-signin"')
  })
})
