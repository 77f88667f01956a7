import type { ServerResponse } from 'node:http'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  ClientSecretBasic,
  ClientSecretPost,
  createTokenVerifier,
  OAuthClient,
  type OAuthClientOptions,
  PrivateKeyJwt,
} from '../src/index.js'
import {
  errorBody,
  fetchLog,
  type ScriptedServer,
  startScriptedServer,
  tokenBody,
} from './helpers/grants-server.js'

const API_B = 'https://billing.example.test'
// Whole seconds, so `expiresAt * 1000` is exact.
const T0 = Date.UTC(2030, 0, 1)

let provider: DevIdp
beforeAll(async () => {
  provider = await startDevIdp()
})
afterAll(async () => {
  await provider.close()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A client of the real provider whose token requests are counted. */
async function realClient(options: Partial<OAuthClientOptions> = {}) {
  const log = fetchLog((url) => url === provider.endpoints.token)
  const { clientId, clientSecret } = provider.client
  const client = await OAuthClient.discover(provider.issuer, {
    clientId,
    clientSecret,
    fetch: log.fetch,
    ...options,
  })
  return { client, log }
}

const accessVerifier = (audience: string) =>
  createTokenVerifier({ issuer: provider.issuer, audience, discovery: true, cache: false })

describe('client credentials against a real provider', () => {
  it('gets a JWT access token for the resource indicator', async () => {
    const { client } = await realClient()
    const tokens = await client.clientCredentials({ scope: 'read write', resource: API_B })
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 300, scope: 'read write' })
    await expect(accessVerifier(API_B).verify(tokens.accessToken)).resolves.toMatchObject({
      aud: API_B,
      client_id: 'dev-client',
      scope: 'read write',
    })
  })

  it('serves the same TokenSet from the cache for the same scope (in any order) and resource', async () => {
    const { client, log } = await realClient()
    const first = await client.clientCredentials({ scope: 'read write', resource: provider.resource })
    expect(await client.clientCredentials({ scope: ['write', 'read'], resource: provider.resource })).toBe(
      first,
    )
    expect(await client.clientCredentials({ scope: 'write  read', resource: [provider.resource] })).toBe(
      first,
    )
    expect(log.calls).toHaveLength(1)
    // Shared between callers, so frozen: one caller cannot change what the next one gets.
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('misses for another scope or resource, and fresh: true bypasses the cache but refills it', async () => {
    const { client, log } = await realClient()
    const first = await client.clientCredentials({ scope: 'read', resource: provider.resource })
    const otherScope = await client.clientCredentials({ scope: 'write', resource: provider.resource })
    const otherResource = await client.clientCredentials({ scope: 'read', resource: API_B })
    expect(new Set([first.accessToken, otherScope.accessToken, otherResource.accessToken]).size).toBe(3)
    expect(log.calls).toHaveLength(3)
    const fresh = await client.clientCredentials({ scope: 'read', resource: provider.resource, fresh: true })
    expect(fresh.accessToken).not.toBe(first.accessToken)
    expect(log.calls).toHaveLength(4)
    expect(await client.clientCredentials({ scope: 'read', resource: provider.resource })).toBe(fresh)
    expect(log.calls).toHaveLength(4)
  })

  it('makes one request for concurrent calls (single flight)', async () => {
    const { client, log } = await realClient()
    const all = await Promise.all([
      client.clientCredentials({ scope: 'read write' }),
      client.clientCredentials({ scope: 'write read' }),
      client.clientCredentials({ scope: ['read', 'write'] }),
    ])
    expect(log.calls).toHaveLength(1)
    expect(all[1]).toBe(all[0])
    expect(all[2]).toBe(all[0])
  })

  it('with tokenCache: false, requests every time', async () => {
    const { client, log } = await realClient({ tokenCache: false })
    const [a, b] = await Promise.all([client.clientCredentials(), client.clientCredentials()])
    const c = await client.clientCredentials()
    expect(log.calls).toHaveLength(3)
    expect(new Set([a?.accessToken, b?.accessToken, c.accessToken]).size).toBe(3)
  })

  it('authenticates with client_secret_post and private_key_jwt', async () => {
    const { post, jwt } = provider.clients
    const privateJwk = jwt.privateJwk
    if (privateJwk === undefined) throw new Error('dev-idp generated no key for dev-jwt-client')
    for (const [clientId, clientAuthentication] of [
      [post.clientId, ClientSecretPost(post.clientSecret)],
      [jwt.clientId, PrivateKeyJwt(privateJwk)],
    ] as const) {
      const client = await OAuthClient.discover(provider.issuer, { clientId, clientAuthentication })
      const tokens = await client.clientCredentials({ scope: 'admin' })
      await expect(accessVerifier(provider.resource).verify(tokens.accessToken)).resolves.toMatchObject({
        client_id: clientId,
        scope: 'admin',
      })
    }
  })

  it('refuses a wrong secret with invalid_client', async () => {
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.client.clientId,
      clientAuthentication: ClientSecretBasic('not-the-secret'),
    })
    await expect(client.clientCredentials()).rejects.toMatchObject({
      name: 'OAuthExchangeError',
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_client',
    })
  })
})

describe('refresh against a real provider', () => {
  it('rotates the refresh token, keeps the subject, and the old refresh token is refused', async () => {
    const { client } = await realClient()
    const login = await client.password('alice', 'alice-password', { scope: 'openid email offline_access' })
    const refreshed = await client.refresh(login)
    expect(refreshed.refreshToken).toEqual(expect.any(String))
    expect(refreshed.refreshToken).not.toBe(login.refreshToken)
    expect(refreshed.accessToken).not.toBe(login.accessToken)
    expect(refreshed.claims).toMatchObject({ sub: 'alice', iss: provider.issuer, aud: 'dev-client' })
    // The login's ID token has auth_time; oidc-provider's refreshed one may omit it (Core §12.2 allows).
    expect(login.claims?.auth_time).toEqual(expect.any(Number))
    await expect(client.refresh(login.refreshToken ?? '')).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
    })
  })
})

describe('against a scripted token endpoint', () => {
  let server: ScriptedServer
  let key: TestKey
  beforeAll(async () => {
    server = await startScriptedServer()
    key = await makeKey('ES256')
  })
  afterAll(async () => {
    await server.close()
  })

  const scriptedClient = (options: Partial<OAuthClientOptions> = {}) =>
    new OAuthClient({
      metadata: { issuer: server.base, token_endpoint: server.url('/token') },
      clientId: 'app',
      clientSecret: 'app-secret',
      idTokenKeys: key.publicJwk,
      ...options,
    })
  const idToken = (claims: Record<string, unknown>) =>
    sign(key, { iss: server.base, aud: 'app', sub: 'alice', auth_time: 1000, ...claims }, { typ: 'JWT' })

  it('sends a form by default and JSON with tokenRequestFormat: json', async () => {
    const requests = server.script('/token', [tokenBody('at')])
    const params = { scope: 'b a', resource: [API_B, 'https://a.example.test'], audience: 'api' }
    await scriptedClient({ tokenCache: false }).clientCredentials(params)
    await scriptedClient({ tokenCache: false, tokenRequestFormat: 'json' }).clientCredentials(params)
    const [form, json] = requests
    expect(form?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(form?.form.getAll('resource')).toEqual(['https://a.example.test', API_B])
    expect(json?.headers['content-type']).toBe('application/json')
    expect(json?.headers.authorization).toBe(`Basic ${btoa('app:app-secret')}`)
    expect(JSON.parse(json?.body ?? '')).toEqual({
      grant_type: 'client_credentials',
      scope: 'b a',
      audience: 'api',
      resource: ['https://a.example.test', API_B],
    })
  })

  it.each([
    [undefined, 30_000],
    [{ skew: 0 }, 60_000],
    [{ skew: 50 }, 10_000],
  ])('with tokenCache %j, a 60 s token is served for %i ms', async (tokenCache, servedFor) => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 })
    const requests = server.script('/token', [tokenBody('at-1', { expires_in: 60 }), tokenBody('at-2')])
    const client = scriptedClient(tokenCache ? { tokenCache } : {})
    const first = await client.clientCredentials()
    vi.setSystemTime(T0 + servedFor - 1)
    expect(await client.clientCredentials()).toBe(first)
    vi.setSystemTime(T0 + servedFor)
    await expect(client.clientCredentials()).resolves.toMatchObject({ accessToken: 'at-2' })
    expect(requests).toHaveLength(2)
  })

  it('does not cache a token without expires_in, nor a failure', async () => {
    const requests = server.script('/token', [
      { body: { access_token: 'forever', token_type: 'Bearer' } },
      errorBody('invalid_scope'),
      tokenBody('at-3'),
    ])
    const client = scriptedClient()
    await expect(client.clientCredentials()).resolves.toMatchObject({ accessToken: 'forever' })
    const failures = [client.clientCredentials(), client.clientCredentials()]
    for (const failure of failures) await expect(failure).rejects.toMatchObject({ error: 'invalid_scope' })
    await expect(client.clientCredentials()).resolves.toMatchObject({ accessToken: 'at-3' })
    expect(requests).toHaveLength(3)
  })

  it('accepts a refreshed ID token that leaves auth_time out, with the same sub', async () => {
    server.script('/token', [
      tokenBody('at-1', { refresh_token: 'rt-1', id_token: await idToken({}) }),
      tokenBody('at-2', { refresh_token: 'rt-2', id_token: await idToken({ auth_time: undefined }) }),
    ])
    const client = scriptedClient()
    const refreshed = await client.refresh(await client.refresh('rt-0'))
    expect(refreshed).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2', claims: { sub: 'alice' } })
    expect(refreshed.claims?.auth_time).toBeUndefined()
  })

  it('a call joins the latest request even after an older one it replaced fails', async () => {
    const held: ServerResponse[] = []
    server.route('/token', (_req, res) => held.push(res))
    const answer = (res: ServerResponse | undefined, status: number, body: unknown) =>
      res?.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const client = scriptedClient()
    const older = client.clientCredentials()
    const fresh = client.clientCredentials({ fresh: true })
    await vi.waitFor(() => expect(held).toHaveLength(2), { timeout: 20_000, interval: 20 })
    answer(held[0], 400, { error: 'invalid_scope' })
    await expect(older).rejects.toMatchObject({ error: 'invalid_scope' })
    const joined = client.clientCredentials()
    answer(held[1], 200, tokenBody('at-fresh').body)
    expect(await joined).toBe(await fresh)
    expect(held).toHaveLength(2)
  })

  it('keeps the old refresh token when none is returned', async () => {
    server.script('/token', [tokenBody('at-r')])
    const refreshed = await scriptedClient().refresh('rt-0')
    expect(refreshed).toMatchObject({ accessToken: 'at-r', refreshToken: 'rt-0' })
  })

  it.each([
    ['sub', { sub: 'mallory' }],
    ['auth_time', { auth_time: 2000 }],
    ['azp', { azp: 'app' }],
  ])('refuses a refreshed ID token whose %s changed: ERR_JWT_REFRESH_MISMATCH', async (claim, change) => {
    const requests = server.script('/token', [
      tokenBody('at-1', { refresh_token: 'rt-1', id_token: await idToken({}) }),
      tokenBody('at-2', { refresh_token: 'rt-2', id_token: await idToken(change) }),
    ])
    const client = scriptedClient()
    const first = await client.refresh('rt-0')
    expect(first.claims).toMatchObject({ sub: 'alice', auth_time: 1000 })
    await expect(client.refresh(first)).rejects.toMatchObject({
      name: 'JWTClaimValidationError',
      code: 'ERR_JWT_REFRESH_MISMATCH',
      claim,
    })
    expect(requests.map((r) => r.form.get('refresh_token'))).toEqual(['rt-0', 'rt-1'])
  })
})
