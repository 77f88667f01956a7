/**
 * Introspection (RFC 7662) and revocation (RFC 7009) at the token server: openid-client as the
 * independent peer over HTTP, the core's verifier with the revocation hook on the same store, who
 * may see or revoke which token, and hostile requests that must never cause a 500.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createTokenVerifier } from '@org/auth-core'
import { fakeClock } from '@org/test-kit/store-contracts'
import fc from 'fast-check'
import { SignJWT } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CreateClientInput,
  createClientRegistry,
  createMemoryClientStore,
  createMemoryRevocationStore,
  createTokenServer,
  generateSigningKey,
  type RevocationStore,
  RevocationStoreError,
  staticSigningKeys,
  type TokenServerOptions,
} from '../src/index.js'

const ISSUER = 'https://auth.example.com/m2m'
const API = 'https://api.example.com/'
const OTHER_API = 'https://other.example.com/'

const client = (name: string, audiences: string[]): CreateClientInput => ({
  name,
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['invoices:read'],
  audiences,
})

/** A worker with a token for API, the API itself registered as a client, and an unrelated client. */
async function parties(now?: () => number) {
  const registry = createClientRegistry({
    store: createMemoryClientStore(now ? { now } : {}),
    ...(now ? { now } : {}),
  })
  const [worker, api, stranger] = await Promise.all([
    registry.create(client('Billing worker', [API])),
    registry.create(client('Invoices API', [API])),
    registry.create(client('Other worker', [OTHER_API])),
  ])
  const credentials = (c: typeof worker) => ({ id: c.clientId, secret: c.clientSecret as string })
  return { registry, worker: credentials(worker), api: credentials(api), stranger: credentials(stranger) }
}

const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`

describe('introspection and revocation with openid-client over HTTP', () => {
  let issuer: string
  let close: () => void
  let who: Awaited<ReturnType<typeof parties>>
  const revocations = createMemoryRevocationStore()
  const configFor = (id: string, secret: string) =>
    oidc.discovery(new URL(issuer), id, undefined, oidc.ClientSecretBasic(secret), {
      algorithm: 'oauth2',
      execute: [oidc.allowInsecureRequests],
    })

  beforeAll(async () => {
    who = await parties()
    const key = await generateSigningKey('ES256')
    let handler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
    const server = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`
    handler = createTokenServer({
      issuer,
      clients: who.registry,
      keys: staticSigningKeys([key]),
      revocations,
    })
    close = () => server.close()
  })
  afterAll(() => close())

  it('publishes both endpoints in the metadata', async () => {
    const metadata = (await configFor(who.worker.id, who.worker.secret)).serverMetadata()
    expect(metadata).toMatchObject({
      introspection_endpoint: `${issuer}/introspect`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint_auth_methods_supported: metadata.token_endpoint_auth_methods_supported,
      revocation_endpoint_auth_methods_supported: metadata.token_endpoint_auth_methods_supported,
    })
  })

  it('introspects to its owner and its audience only, revokes for its owner only', async () => {
    const workerConfig = await configFor(who.worker.id, who.worker.secret)
    const apiConfig = await configFor(who.api.id, who.api.secret)
    const strangerConfig = await configFor(who.stranger.id, who.stranger.secret)
    const { access_token: token } = await oidc.clientCredentialsGrant(workerConfig, { resource: API })
    const verifier = createTokenVerifier({
      issuer,
      audience: API,
      discovery: true,
      revocation: { isRevoked: (claims) => revocations.isRevoked(claims.jti as string), cacheSeconds: 1 },
    })
    await expect(verifier.verify(token)).resolves.toMatchObject({ client_id: who.worker.id })

    const own = await oidc.tokenIntrospection(workerConfig, token)
    expect(own).toMatchObject({
      active: true,
      client_id: who.worker.id,
      sub: who.worker.id,
      scope: 'invoices:read',
      token_type: 'Bearer',
      aud: API,
      iss: issuer,
    })
    expect(typeof own.jti).toBe('string')
    expect((own.exp as number) - (own.iat as number)).toBe(300)
    expect(await oidc.tokenIntrospection(apiConfig, token)).toMatchObject({
      active: true,
      client_id: who.worker.id,
    })
    expect(await oidc.tokenIntrospection(strangerConfig, token)).toEqual({ active: false })

    // A foreign client's revocation is answered 200 and changes nothing (RFC 7009 §2.1).
    await oidc.tokenRevocation(strangerConfig, token)
    await oidc.tokenRevocation(apiConfig, token)
    expect((await oidc.tokenIntrospection(workerConfig, token)).active).toBe(true)
    await expect(revocations.isRevoked(own.jti as string)).resolves.toBe(false)

    await oidc.tokenRevocation(workerConfig, token, { token_type_hint: 'access_token' })
    expect(await oidc.tokenIntrospection(workerConfig, token)).toEqual({ active: false })
    expect(await oidc.tokenIntrospection(apiConfig, token)).toEqual({ active: false })
    // The verifier had the token cached as not revoked; past its cacheSeconds it asks again.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_REVOKED', status: 401 })
    // Revoking again, or as a refresh token, is still a 200.
    await oidc.tokenRevocation(workerConfig, token, { token_type_hint: 'refresh_token' })
  })
})

describe('introspection and revocation requests', () => {
  async function setup(options: Partial<TokenServerOptions> = {}) {
    const clock = fakeClock(1_800_000_000_000)
    const who = await parties(clock.now)
    const key = await generateSigningKey('EdDSA')
    const handler = createTokenServer({
      issuer: ISSUER,
      clients: who.registry,
      keys: staticSigningKeys([key]),
      now: clock.now,
      ...options,
    })
    const post = (path: string, body: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
      handler(
        new Request(`${ISSUER}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          body,
          ...init,
        }),
      )
    const asWorker = { authorization: basic(who.worker.id, who.worker.secret) }
    const response = await post('/token', 'grant_type=client_credentials', asWorker)
    const { access_token: token } = (await response.json()) as { access_token: string }
    const introspect = async (t: string, headers = asWorker) => {
      const answer = await post('/introspect', new URLSearchParams({ token: t }).toString(), headers)
      expect(answer.headers.get('cache-control')).toBe('no-store')
      return { status: answer.status, body: await answer.json() }
    }
    return { clock, who, key, handler, post, asWorker, token, introspect }
  }

  it('requires client authentication and the token parameter', async () => {
    const { post, asWorker, token } = await setup()
    for (const path of ['/introspect', '/revoke']) {
      const anonymous = await post(path, `token=${token}`)
      expect(anonymous.status).toBe(401)
      expect(await anonymous.json()).toMatchObject({ error: 'invalid_client' })
      const missing = await post(path, 'token_type_hint=access_token', asWorker)
      expect(missing.status).toBe(400)
      expect(await missing.json()).toMatchObject({ error: 'invalid_request' })
      const repeated = await post(path, `token=${token}&token=${token}`, asWorker)
      expect(repeated.status).toBe(400)
      const asJson = await post(path, JSON.stringify({ token }), {
        ...asWorker,
        'content-type': 'application/json',
      })
      expect(asJson.status).toBe(400)
      const huge = await post(path, `token=${'a'.repeat(10_000)}`, asWorker)
      expect(huge.status).toBe(413)
      const get = await post(path, '', asWorker, { method: 'GET', body: null })
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
    }
  })

  it('throttles failed authentications as the token endpoint does', async () => {
    const { post, token, who } = await setup({ limits: { perClient: 2 } })
    const wrong = { authorization: basic(who.worker.id, 'wrong') }
    for (let i = 0; i < 2; i++) expect((await post('/introspect', `token=${token}`, wrong)).status).toBe(401)
    const throttled = await post('/revoke', `token=${token}`, wrong)
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).not.toBeNull()
  })

  it('says inactive, and nothing more, for expired, foreign-signed and malformed tokens', async () => {
    const { introspect, token, clock, key } = await setup()
    expect((await introspect(token)).body.active).toBe(true)
    // Signed by a key this server does not hold, with every claim right.
    const stranger = await generateSigningKey('EdDSA')
    const forged = await new SignJWT({ client_id: 'x', jti: 'j' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(API)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stranger.privateKey)
    expect(await introspect(forged)).toEqual({ status: 200, body: { active: false } })
    // Signed by our key but not an access token (no typ) or without jti: not ours to vouch for.
    const untyped = await new SignJWT({ client_id: 'x', jti: 'j' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
      .setIssuer(ISSUER)
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + 60)
      .sign(key.privateKey)
    expect((await introspect(untyped)).body).toEqual({ active: false })
    await clock.advance(301_000)
    expect(await introspect(token)).toEqual({ status: 200, body: { active: false } })
  })

  it('answers 503, never active, while the revocation store is down; 503 when full', async () => {
    const failing: RevocationStore = {
      revoke: async () => {
        throw new Error('connection refused')
      },
      isRevoked: async () => {
        throw new RevocationStoreError('ERR_STORE_UNAVAILABLE', 'down')
      },
    }
    const { introspect, token, post, asWorker } = await setup({ revocations: failing })
    const answer = await introspect(token)
    expect(answer.status).toBe(503)
    expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) })
    const revoked = await post('/revoke', `token=${token}`, asWorker)
    expect(revoked.status).toBe(500)
    expect(await revoked.text()).not.toContain('refused')

    const full = await setup({ revocations: createMemoryRevocationStore({ maxEntries: 1 }) })
    expect((await full.post('/revoke', `token=${full.token}`, full.asWorker)).status).toBe(200)
    const second = await full.post('/token', 'grant_type=client_credentials', full.asWorker)
    const { access_token: next } = (await second.json()) as { access_token: string }
    const refused = await full.post('/revoke', `token=${next}`, full.asWorker)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    // Fail closed: the token that could not be revoked is still reported as it is, active.
    expect((await full.introspect(next)).body.active).toBe(true)
    expect((await full.introspect(full.token)).body).toEqual({ active: false })
  })

  it('never answers 500 or active to garbage tokens and hints (fast-check)', async () => {
    const { post, asWorker, token } = await setup()
    const [header, payload] = token.split('.')
    const garbage = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,60}$/),
      fc.string({ maxLength: 80 }).map((signature) => `${header}.${payload}.${signature}`),
    )
    await fc.assert(
      fc.asyncProperty(garbage, fc.option(fc.string({ maxLength: 30 })), async (value, hint) => {
        fc.pre(value !== '' && value !== token)
        const body = new URLSearchParams({ token: value, ...(hint ? { token_type_hint: hint } : {}) })
        const introspected = await post('/introspect', body.toString(), asWorker)
        expect(introspected.status).toBe(200)
        expect(await introspected.json()).toEqual({ active: false })
        expect((await post('/revoke', body.toString(), asWorker)).status).toBe(200)
      }),
      { numRuns: 150 },
    )
  })
})

describe('createMemoryRevocationStore', () => {
  it('refuses a new revocation when full of unexpired ones, and makes room from expired ones', async () => {
    const clock = fakeClock(1_800_000_000_000)
    const store = createMemoryRevocationStore({ maxEntries: 2, now: clock.now })
    const at = (seconds: number) => Math.floor(clock.now() / 1000) + seconds
    await store.revoke('a', at(10))
    await store.revoke('b', at(100))
    await expect(store.revoke('c', at(100))).rejects.toMatchObject({
      code: 'ERR_REVOCATION_STORE_FULL',
      status: 503,
    })
    // Revoking a held jti again needs no room.
    await store.revoke('b', at(200))
    await clock.advance(11_000)
    await store.revoke('c', at(100))
    expect(await Promise.all(['a', 'b', 'c'].map((jti) => store.isRevoked(jti)))).toEqual([false, true, true])
    expect(() => createMemoryRevocationStore({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})
