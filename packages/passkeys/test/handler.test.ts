/** The Web handler: ceremonies and management over JSON, behind a session, same-origin only. */
import { MemoryOneTimeStore } from '@org/auth-core'
import { describe, expect, it } from 'vitest'
import { createPasskeyHandler, createPasskeys, MemoryCredentialStore } from '../src/index.js'
import { assertWith, attest, newCredential } from './soft-authenticator.js'

const ORIGIN = 'http://localhost:3000'
const USERS = {
  alice: { id: 'alice', name: 'alice@example.com' },
  bob: { id: 'bob', name: 'bob@example.com' },
}

function setup() {
  const passkeys = createPasskeys({
    rpId: 'localhost',
    rpName: 'Example',
    origins: [ORIGIN],
    credentials: new MemoryCredentialStore(),
    challenges: new MemoryOneTimeStore(),
  })
  const signedIn: string[] = []
  const handler = createPasskeyHandler(passkeys, {
    // The test's "session": a header naming the user.
    getUser: (request) => USERS[request.headers.get('x-user') as keyof typeof USERS],
    onAuthenticated: (result) => {
      signedIn.push(result.userId)
      return new Response(null, { status: 204, headers: { 'set-cookie': `session=${result.userId}` } })
    },
  })
  const call = async (
    method: string,
    path: string,
    init: { user?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { 'sec-fetch-site': 'same-origin', ...init.headers }
    if (init.user !== undefined) headers['x-user'] = init.user
    // An empty value stands for "no such header" (a client without Fetch Metadata).
    for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name]
    if (init.body !== undefined) headers['content-type'] ??= 'application/json'
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body)
    const response = await handler(
      new Request(`${ORIGIN}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
    )
    const text = await response.text()
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
    }
  }
  return { call, signedIn }
}

async function registerVia(call: ReturnType<typeof setup>['call'], user: 'alice' | 'bob') {
  const credential = newCredential(user)
  const options = await call('POST', '/passkeys/register/options', { user })
  expect(options.status).toBe(200)
  const registered = await call('POST', '/passkeys/register/verify', {
    user,
    body: attest(credential, options.body, ORIGIN),
  })
  expect(registered.status).toBe(201)
  return credential
}

describe('createPasskeyHandler', () => {
  it('registers, signs in, approves a transaction, lists, renames and deletes', async () => {
    const { call, signedIn } = setup()
    const credential = await registerVia(call, 'alice')

    const request = await call('POST', '/passkeys/authenticate/options')
    expect(request.body.allowCredentials).toEqual([])
    const signIn = await call('POST', '/passkeys/authenticate/verify', {
      body: assertWith(credential, request.body, ORIGIN),
    })
    expect(signIn.status).toBe(204)
    expect(signIn.headers.get('set-cookie')).toBe('session=alice')
    expect(signedIn).toEqual(['alice'])

    const tx = await call('POST', '/passkeys/transaction/options', {
      user: 'alice',
      body: { text: 'Pay $5 to Bob?' },
    })
    const approved = await call('POST', '/passkeys/transaction/verify', {
      user: 'alice',
      body: assertWith(credential, tx.body, ORIGIN),
    })
    expect(approved).toMatchObject({
      status: 200,
      body: { text: 'Pay $5 to Bob?', credentialId: credential.id },
    })

    const list = await call('GET', '/passkeys/credentials?pageSize=10', { user: 'alice' })
    expect(list.body).toMatchObject({ total: 1, page: 1, pageSize: 10 })
    expect(list.body.credentials[0]).not.toHaveProperty('publicKey')
    const path = `/passkeys/credentials/${encodeURIComponent(credential.id)}`
    expect((await call('PATCH', path, { user: 'alice', body: { name: 'Phone' } })).body).toMatchObject({
      name: 'Phone',
    })
    expect((await call('GET', path, { user: 'alice' })).body).toMatchObject({
      name: 'Phone',
      lastUsedAt: expect.any(Number),
    })
    expect(await call('DELETE', path, { user: 'alice' })).toMatchObject({
      status: 200,
      body: { deleted: credential.id, rpId: 'localhost' },
    })
    expect((await call('GET', '/passkeys/credentials', { user: 'alice' })).body).toMatchObject({ total: 0 })
  })

  it("keeps a user's passkeys from another user's session", async () => {
    const { call } = setup()
    const credential = await registerVia(call, 'alice')
    const path = `/passkeys/credentials/${encodeURIComponent(credential.id)}`
    for (const [method, body] of [['GET'], ['PATCH', { name: 'mine' }], ['DELETE']] as const) {
      expect(
        await call(method, path, { user: 'bob', ...(body === undefined ? {} : { body }) }),
      ).toMatchObject({
        status: 404,
        body: { error: 'ERR_PASSKEY_UNKNOWN_CREDENTIAL' },
      })
    }
    expect((await call('GET', path, { user: 'alice' })).body).toMatchObject({ name: 'Passkey' })
    // Alice's approval presented in Bob's session.
    const tx = await call('POST', '/passkeys/transaction/options', { user: 'alice', body: { text: 'Pay?' } })
    const replayed = await call('POST', '/passkeys/transaction/verify', {
      user: 'bob',
      body: assertWith(credential, tx.body, ORIGIN),
    })
    expect(replayed).toMatchObject({ status: 400, body: { error: 'ERR_PASSKEY_WRONG_USER' } })
  })

  it('refuses cross-site requests, missing sessions, wrong methods and bad bodies', async () => {
    const { call } = setup()
    const crossSite = await call('POST', '/passkeys/register/options', {
      user: 'alice',
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite).toMatchObject({ status: 403, body: { error: 'ERR_CROSS_SITE_REQUEST' } })
    // Without Fetch Metadata, the Origin header decides.
    const evil = await call('POST', '/passkeys/register/options', {
      user: 'alice',
      headers: { 'sec-fetch-site': '', origin: 'https://evil.example' },
    })
    expect(evil.status).toBe(403)
    const sameOrigin = await call('POST', '/passkeys/authenticate/options', {
      headers: { 'sec-fetch-site': '', origin: ORIGIN },
    })
    expect(sameOrigin.status).toBe(200)
    expect(await call('POST', '/passkeys/register/options')).toMatchObject({
      status: 401,
      body: { error: 'ERR_SESSION_REQUIRED' },
    })
    expect(await call('GET', '/passkeys/credentials')).toMatchObject({ status: 401 })
    expect(await call('GET', '/passkeys/register/options', { user: 'alice' })).toMatchObject({ status: 405 })
    expect(await call('POST', '/passkeys/nope')).toMatchObject({ status: 404 })
    expect(await call('POST', '/passkeys/constructor')).toMatchObject({ status: 404 })
    expect(await call('POST', '/passkeys/authenticate/verify', { body: '{"id":' })).toMatchObject({
      status: 400,
      body: { error: 'ERR_PASSKEY_MALFORMED' },
    })
    expect(
      await call('POST', '/passkeys/authenticate/verify', {
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
    ).toMatchObject({
      status: 400,
      body: { error: 'ERR_PASSKEY_MALFORMED' },
    })
    expect(
      await call('POST', '/passkeys/authenticate/verify', { body: { pad: 'A'.repeat(200_000) } }),
    ).toMatchObject({
      status: 413,
      body: { error: 'ERR_PASSKEY_TOO_LARGE' },
    })
    expect(await call('GET', '/passkeys/credentials?pageSize=1000', { user: 'alice' })).toMatchObject({
      status: 400,
    })
  })
})
