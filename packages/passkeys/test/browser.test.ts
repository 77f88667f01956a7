/**
 * The handler against a real browser: headless Chromium with a CDP virtual authenticator (CTAP2,
 * internal, resident keys, user verification) registers a passkey through the routes, signs in
 * usernameless, approves a transaction, renames and deletes the credential. Skips (and says so)
 * where Chromium is not installed.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MemoryOneTimeStore } from '@org/auth-core'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPasskeyHandler, createPasskeys, MemoryCredentialStore } from '../src/index.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const missing = !existsSync(CHROMIUM)
if (missing)
  console.log(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH): skipped the real-browser passkey test`)

describe.skipIf(missing)('passkeys in Chromium through createPasskeyHandler', () => {
  let server: Server
  let browser: Browser
  let origin: string
  const signedIn: string[] = []

  beforeAll(async () => {
    server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://localhost:${(server.address() as AddressInfo).port}`
    const passkeys = createPasskeys({
      rpId: 'localhost',
      rpName: 'Browser test',
      origins: [origin],
      credentials: new MemoryCredentialStore(),
      challenges: new MemoryOneTimeStore(),
    })
    const handler = createPasskeyHandler(passkeys, {
      getUser: (request) =>
        request.headers.get('x-user') === 'ada' ? { id: 'ada', name: 'ada@example.com' } : undefined,
      onAuthenticated: ({ userId }) => {
        signedIn.push(userId)
        return Response.json({ signedIn: userId })
      },
    })
    // A minimal Node → Fetch bridge, as the adapters have.
    server.on('request', async (req, res) => {
      if (req.url === '/')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>t</title>')
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers.set(name, value)
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && chunks.length > 0
      const response = await handler(
        new Request(`${origin}${req.url}`, {
          method: req.method,
          headers,
          ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
        }),
      )
      res
        .writeHead(response.status, Object.fromEntries(response.headers))
        .end(Buffer.from(await response.arrayBuffer()))
    })
    browser = await chromium.launch({ executablePath: CHROMIUM })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    server?.close()
  })

  async function pageWithAuthenticator(): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(`${origin}/`)
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    })
    return page
  }

  it('registers, signs in usernameless, approves a transaction, renames and deletes', async () => {
    const page = await pageWithAuthenticator()
    const outcome = await page.evaluate(async () => {
      const P = PublicKeyCredential as unknown as {
        parseCreationOptionsFromJSON(o: unknown): PublicKeyCredentialCreationOptions
        parseRequestOptionsFromJSON(o: unknown): PublicKeyCredentialRequestOptions
      }
      const call = async (method: string, path: string, user: boolean, body?: unknown) => {
        const headers: Record<string, string> = user ? { 'x-user': 'ada' } : {}
        if (body !== undefined) headers['content-type'] = 'application/json'
        const response = await fetch(path, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        return { status: response.status, body: await response.json() }
      }
      const toJSON = (credential: Credential | null) =>
        (credential as unknown as { toJSON(): unknown }).toJSON()
      const creation = await call('POST', '/passkeys/register/options', true)
      const created = await navigator.credentials.create({
        publicKey: P.parseCreationOptionsFromJSON(creation.body),
      })
      const registered = await call('POST', '/passkeys/register/verify', true, toJSON(created))
      const request = await call('POST', '/passkeys/authenticate/options', false)
      const assertion = await navigator.credentials.get({
        publicKey: P.parseRequestOptionsFromJSON(request.body),
      })
      const signIn = await call('POST', '/passkeys/authenticate/verify', false, toJSON(assertion))
      const tx = await call('POST', '/passkeys/transaction/options', true, { text: 'Pay $5 to Bob?' })
      const approval = await navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(tx.body) })
      const approved = await call('POST', '/passkeys/transaction/verify', true, toJSON(approval))
      const replayed = await call('POST', '/passkeys/transaction/verify', true, toJSON(approval))
      const path = `/passkeys/credentials/${encodeURIComponent(registered.body.id)}`
      const renamed = await call('PATCH', path, true, { name: 'Laptop' })
      const listed = await call('GET', '/passkeys/credentials', true)
      const deleted = await call('DELETE', path, true)
      const after = await call('GET', '/passkeys/credentials', true)
      return { registered, signIn, approved, replayed, renamed, listed, deleted, after }
    })
    expect(outcome.registered).toMatchObject({
      status: 201,
      body: { userId: 'ada', transports: ['internal'] },
    })
    expect(outcome.signIn).toEqual({ status: 200, body: { signedIn: 'ada' } })
    expect(signedIn).toEqual(['ada'])
    expect(outcome.approved).toMatchObject({ status: 200, body: { text: 'Pay $5 to Bob?' } })
    expect(outcome.replayed).toMatchObject({ status: 400, body: { error: 'ERR_PASSKEY_CHALLENGE_USED' } })
    expect(outcome.renamed.body).toMatchObject({ name: 'Laptop' })
    expect(outcome.listed.body).toMatchObject({
      total: 1,
      credentials: [{ name: 'Laptop', lastUsedAt: expect.any(Number) }],
    })
    expect(outcome.deleted.body).toEqual({ deleted: outcome.registered.body.id, rpId: 'localhost' })
    expect(outcome.after.body).toMatchObject({ total: 0 })
    await page.close()
  }, 60_000)
})
