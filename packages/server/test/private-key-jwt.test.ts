/**
 * private_key_jwt at the token endpoint (RFC 7523 §2.2/§3): tokens for assertions signed with each
 * supported key type, the accepted audiences and clock leeway, key selection by `kid` and key
 * rotation, and openid-client (panva) as an independent client over HTTP on 127.0.0.1.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createTokenVerifier, MemoryOneTimeStore } from '@org/auth-core'
import { decodeJwt, exportJWK, generateKeyPair } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createClientRegistry,
  createMemoryClientStore,
  createTokenServer,
  generateSigningKey,
  staticSigningKeys,
} from '../src/index.js'
import {
  API,
  assertionRequest,
  INVALID_CLIENT,
  ISSUER,
  read,
  registerKeyClient,
  setup,
  signAssertion,
  TOKEN_ENDPOINT,
} from './helpers/assertions.js'

describe('private_key_jwt', () => {
  it('issues a token for an assertion signed with EdDSA, ES256, RS256 or PS256', async () => {
    const { handler, registry, clock } = await setup()
    for (const alg of ['EdDSA', 'ES256', 'RS256', 'PS256']) {
      const client = await registerKeyClient(registry, alg)
      const response = await read(await handler(assertionRequest(await signAssertion(client, clock.now()))))
      expect(response.status, alg).toBe(200)
      expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 })
      expect(decodeJwt(response.body.access_token)).toMatchObject({
        sub: client.clientId,
        client_id: client.clientId,
      })
    }
  })

  it('accepts the issuer alone as audience; the token endpoint only when allowed; never a list', async () => {
    const strict = await setup()
    const lenient = await setup({ acceptTokenEndpointAudience: true })
    const cases: Array<[unknown, number, number]> = [
      [ISSUER, 200, 200],
      [TOKEN_ENDPOINT, 401, 200],
      [[ISSUER], 401, 401],
      [[API, ISSUER], 401, 401],
      [['https://elsewhere.example/', TOKEN_ENDPOINT], 401, 401],
    ]
    for (const [aud, strictStatus, lenientStatus] of cases) {
      for (const [{ handler, client, clock }, expected] of [
        [strict, strictStatus],
        [lenient, lenientStatus],
      ] as const) {
        const assertion = await signAssertion(client, clock.now(), { claims: { aud } })
        expect((await handler(assertionRequest(assertion))).status, JSON.stringify(aud)).toBe(expected)
      }
    }
  })

  it('takes client_id in the body when it names the assertion’s client', async () => {
    const { handler, client, clock } = await setup()
    const assertion = await signAssertion(client, clock.now())
    expect((await handler(assertionRequest(assertion, { client_id: client.clientId }))).status).toBe(200)
  })

  it('tolerates 30 seconds of clock skew, and assertions living up to 5 minutes', async () => {
    const { handler, client, clock } = await setup()
    const now = Math.floor(clock.now() / 1000)
    for (const claims of [
      { exp: now - 25 }, // just expired, within the leeway
      { nbf: now + 25, iat: now + 25 }, // the client's clock a little ahead
      { exp: now + 300 + 25 },
      { iat: undefined, nbf: undefined }, // both optional
    ]) {
      const assertion = await signAssertion(client, clock.now(), { claims })
      expect((await handler(assertionRequest(assertion))).status, JSON.stringify(claims)).toBe(200)
    }
  })

  it('selects the key by kid, tries each key without one, and follows key rotation', async () => {
    const { handler, registry, client, clock } = await setup()
    const next = await generateKeyPair('EdDSA', { extractable: true })
    const rotated = { ...client, alg: 'EdDSA', kid: 'next', privateKey: next.privateKey }
    const current = await exportJWK(client.publicKey)
    // Before the new key is registered it is refused.
    expect((await handler(assertionRequest(await signAssertion(rotated, clock.now())))).status).toBe(401)
    await registry.update(client.clientId, {
      jwks: {
        keys: [
          { ...current, kid: client.kid },
          { ...(await exportJWK(next.publicKey)), kid: 'next' },
        ],
      },
    })
    expect((await handler(assertionRequest(await signAssertion(rotated, clock.now())))).status).toBe(200)
    expect((await handler(assertionRequest(await signAssertion(client, clock.now())))).status).toBe(200)
    // Without kid, the key usable with the alg is found.
    const noKid = await signAssertion(rotated, clock.now(), { header: { kid: undefined } })
    expect((await handler(assertionRequest(noKid))).status).toBe(200)
    // A kid naming the other key is not rescued by trying the rest.
    const wrongKid = await signAssertion({ ...client, kid: 'next' }, clock.now())
    expect(await read(await handler(assertionRequest(wrongKid)))).toMatchObject({
      status: 401,
      body: INVALID_CLIENT,
    })
    // The old key dropped: refused.
    await registry.update(client.clientId, {
      jwks: { keys: [{ ...(await exportJWK(next.publicKey)), kid: 'next' }] },
    })
    expect((await handler(assertionRequest(await signAssertion(client, clock.now())))).status).toBe(401)
  })

  it('shares single use through the replayStore given to several instances', async () => {
    const replayStore = new MemoryOneTimeStore()
    const keys: string[] = []
    const recording = {
      consume: (key: string, expiresAt: number) => {
        keys.push(key)
        return replayStore.consume(key, expiresAt)
      },
    }
    const { handler, registry, client } = await setup({ replayStore: recording, now: Date.now })
    const other = createTokenServer({
      issuer: ISSUER,
      clients: registry,
      keys: staticSigningKeys([await generateSigningKey('ES256')]),
      replayStore: recording,
    })
    const assertion = await signAssertion(client, Date.now(), { claims: { jti: 'jti-visible' } })
    expect((await handler(assertionRequest(assertion))).status).toBe(200)
    expect((await other(assertionRequest(assertion))).status).toBe(401)
    // Hashed and namespaced: the store never sees the jti itself.
    expect(keys).toHaveLength(2)
    expect(keys[0]).toMatch(/^org-auth:client-assertion:[A-Za-z0-9+/]{43}=$/)
    expect(keys.join()).not.toContain('jti-visible')
  })

  it('answers 500 without a token when the replay store fails (fail closed)', async () => {
    const failing = {
      consume: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.5:6379')
      },
    }
    const { handler, client, clock } = await setup({ replayStore: failing })
    const response = await read(await handler(assertionRequest(await signAssertion(client, clock.now()))))
    expect(response).toMatchObject({ status: 500, body: { error: 'server_error' } })
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.5')
  })
})

describe('openid-client with PrivateKeyJwt over HTTP', () => {
  let issuer: string
  let close: () => void
  const registry = createClientRegistry({ store: createMemoryClientStore() })

  beforeAll(async () => {
    const key = await generateSigningKey('EdDSA')
    let handler: (request: Request) => Promise<Response> = async () => new Response(null, { status: 503 })
    const server = serve({ fetch: (request) => handler(request), port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`
    handler = createTokenServer({ issuer, clients: registry, keys: staticSigningKeys([key]) })
    close = () => server.close()
  })
  afterAll(() => close())

  for (const alg of ['EdDSA', 'ES256', 'RS256', 'PS256']) {
    it(`gets a token with a ${alg} key`, async () => {
      const client = await registerKeyClient(registry, alg)
      const config = await oidc.discovery(
        new URL(issuer),
        client.clientId,
        undefined,
        oidc.PrivateKeyJwt({ key: client.privateKey, kid: client.kid }),
        { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
      )
      expect(config.serverMetadata().token_endpoint_auth_methods_supported).toContain('private_key_jwt')
      const tokens = await oidc.clientCredentialsGrant(
        config,
        new URLSearchParams({ scope: 'invoices:read', resource: API }),
      )
      expect(tokens).toMatchObject({ token_type: 'bearer', scope: 'invoices:read' })
      const verifier = createTokenVerifier({ issuer, audience: API, discovery: true, tokenType: 'access' })
      expect(await verifier.verify(tokens.access_token)).toMatchObject({ client_id: client.clientId })
    })
  }
})
