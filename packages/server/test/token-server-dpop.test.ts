/**
 * DPoP at the token server (RFC 9449 §5): a token request with a proof gets a token bound to the
 * proof's key; the refusals are RFC 9449's. Proofs come from the core's client side, and over HTTP
 * from openid-client (panva) and our OAuthClient; the bound token is then checked by the core's
 * verifier with a fresh proof, as an API does.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import {
  authenticate,
  createDpopKey,
  createDpopNonceSource,
  createDpopProof,
  createTokenVerifier,
  OAuthClient,
} from '@org/auth-core'
import { fakeClock } from '@org/test-kit/store-contracts'
import { decodeJwt } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createClientRegistry,
  createMemoryClientStore,
  createTokenServer,
  generateSigningKey,
  staticSigningKeys,
  type TokenServerOptions,
} from '../src/index.js'

const ISSUER = 'https://auth.example.com/m2m'
const TOKEN_URL = `${ISSUER}/token`
const API = 'https://api.example.com/'

async function setup(options: Partial<TokenServerOptions> = {}, issuer = ISSUER) {
  const clock = fakeClock(Date.now())
  const registry = createClientRegistry({
    store: createMemoryClientStore({ now: clock.now }),
    now: clock.now,
  })
  const created = await registry.create({
    name: 'worker',
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['read'],
    audiences: [API],
  })
  const handler = createTokenServer({
    issuer,
    clients: registry,
    keys: staticSigningKeys([await generateSigningKey('ES256')]),
    now: clock.now,
    ...options,
  })
  const authorization = `Basic ${btoa(`${created.clientId}:${created.clientSecret}`)}`
  const token = (headers: Record<string, string> = {}, url = `${issuer}/token`) =>
    handler(
      new Request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization, ...headers },
        body: 'grant_type=client_credentials&scope=read',
      }),
    )
  return { handler, token, clientId: created.clientId, secret: created.clientSecret as string, clock }
}

describe('DPoP-bound tokens from the token server', () => {
  it('binds the token to the proof key (cnf.jkt, token_type DPoP) and introspects it as such', async () => {
    const { token, handler, clientId, secret } = await setup()
    const key = await createDpopKey()
    const response = await token({ dpop: await createDpopProof(key, { method: 'POST', url: TOKEN_URL }) })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe('DPoP')
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.thumbprint })

    const introspection = await handler(
      new Request(`${ISSUER}/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
        },
        body: `token=${body.access_token}`,
      }),
    )
    expect(await introspection.json()).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.thumbprint },
    })
  })

  it('issues a Bearer token without a proof, and refuses one when proofs are required', async () => {
    const allowed = await setup()
    const bearer = (await (await allowed.token()).json()) as { access_token: string; token_type: string }
    expect(bearer.token_type).toBe('Bearer')
    expect(decodeJwt(bearer.access_token).cnf).toBeUndefined()
    const required = await setup({ dpop: { mode: 'required' } })
    const refused = await required.token()
    expect(refused.status).toBe(400)
    expect(await refused.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'A DPoP proof is required',
    })
  })

  it.each([
    [
      'replayed',
      async (key: Awaited<ReturnType<typeof createDpopKey>>) =>
        createDpopProof(key, { method: 'POST', url: TOKEN_URL }),
    ],
    [
      'for another URL',
      (key: Awaited<ReturnType<typeof createDpopKey>>) =>
        createDpopProof(key, { method: 'POST', url: `${ISSUER}/other` }),
    ],
    [
      'for another method',
      (key: Awaited<ReturnType<typeof createDpopKey>>) =>
        createDpopProof(key, { method: 'GET', url: TOKEN_URL }),
    ],
    [
      'too old',
      (key: Awaited<ReturnType<typeof createDpopKey>>) =>
        createDpopProof(key, { method: 'POST', url: TOKEN_URL, now: Date.now() - 600_000 }),
    ],
  ])('refuses a proof %s with 400 invalid_dpop_proof', async (name, make) => {
    const { token } = await setup()
    const key = await createDpopKey()
    const proof = await make(key)
    if (name === 'replayed') expect((await token({ dpop: proof })).status).toBe(200)
    const refused = await token({ dpop: proof })
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_dpop_proof')
  })

  it('refuses two DPoP headers', async () => {
    const { token } = await setup()
    const key = await createDpopKey()
    const proof = await createDpopProof(key, { method: 'POST', url: TOKEN_URL })
    const two = await token({ dpop: `${proof}, ${proof}` })
    expect(two.status).toBe(400)
    expect(((await two.json()) as { error: string }).error).toBe('invalid_dpop_proof')
  })

  it('spends no proof on a request refused for its client authentication', async () => {
    const { handler, token } = await setup()
    const key = await createDpopKey()
    const proof = await createDpopProof(key, { method: 'POST', url: TOKEN_URL })
    const wrong = await handler(
      new Request(TOKEN_URL, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'Basic d3Jvbmc6d3Jvbmc=',
          dpop: proof,
        },
        body: 'grant_type=client_credentials',
      }),
    )
    expect(wrong.status).toBe(401)
    expect((await token({ dpop: proof })).status).toBe(200)
  })

  it('asks for a server nonce with 400 use_dpop_nonce and a DPoP-Nonce header, then accepts it', async () => {
    const { token } = await setup({ dpop: { nonce: createDpopNonceSource() } })
    const key = await createDpopKey()
    const first = await token({ dpop: await createDpopProof(key, { method: 'POST', url: TOKEN_URL }) })
    expect(first.status).toBe(400)
    expect(((await first.json()) as { error: string }).error).toBe('use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toEqual(expect.any(String))
    const second = await token({
      dpop: await createDpopProof(key, { method: 'POST', url: TOKEN_URL, nonce: nonce as string }),
    })
    expect(second.status).toBe(200)
  })

  it('advertises its proof algorithms, and ignores proofs when disabled', async () => {
    const allowed = await setup()
    const metadata = await allowed.handler(
      new Request('https://auth.example.com/.well-known/oauth-authorization-server/m2m'),
    )
    expect(((await metadata.json()) as Record<string, unknown>).dpop_signing_alg_values_supported).toContain(
      'ES256',
    )
    const disabled = await setup({ dpop: { mode: 'disabled' } })
    const quiet = await disabled.handler(
      new Request('https://auth.example.com/.well-known/oauth-authorization-server/m2m'),
    )
    expect(await quiet.json()).not.toHaveProperty('dpop_signing_alg_values_supported')
    const key = await createDpopKey()
    const ignored = await disabled.token({
      dpop: await createDpopProof(key, { method: 'POST', url: TOKEN_URL }),
    })
    expect(((await ignored.json()) as { token_type: string }).token_type).toBe('Bearer')
  })

  it('refuses options it cannot honour at start-up', async () => {
    await expect(setup({ dpop: { mode: 'sometimes' as never } })).rejects.toThrow(/dpop.mode/)
    await expect(setup({ dpop: { algorithms: ['HS256' as never] } })).rejects.toThrow(/dpop.algorithms/)
    await expect(setup({ dpop: { maxAgeSeconds: 0 } })).rejects.toThrow(/maxAgeSeconds/)
  })
})

describe('DPoP over HTTP with independent clients', () => {
  let server: ReturnType<typeof serve>
  let issuer: string
  let context: Awaited<ReturnType<typeof setup>>

  beforeAll(async () => {
    let resolveIssuer: (value: string) => void = () => {}
    const ready = new Promise<string>((resolve) => {
      resolveIssuer = resolve
    })
    let handler: ((request: Request) => Promise<Response>) | undefined
    server = serve(
      {
        fetch: (request) => (handler as (r: Request) => Promise<Response>)(request),
        port: 0,
        hostname: '127.0.0.1',
      },
      (info: AddressInfo) => resolveIssuer(`http://127.0.0.1:${info.port}`),
    )
    issuer = await ready
    context = await setup({}, issuer)
    handler = context.handler
  })
  afterAll(() => {
    server.close()
  })

  it('gives openid-client a DPoP-bound token, which the core verifier accepts only with a proof', async () => {
    const config = await oidc.discovery(
      new URL(issuer),
      context.clientId,
      undefined,
      oidc.ClientSecretBasic(context.secret),
      {
        algorithm: 'oauth2',
        execute: [oidc.allowInsecureRequests],
      },
    )
    const keyPair = await oidc.randomDPoPKeyPair('ES256')
    const tokens = await oidc.clientCredentialsGrant(
      config,
      new URLSearchParams({ scope: 'read', resource: API }),
      {
        DPoP: oidc.getDPoPHandle(config, keyPair),
      },
    )
    expect(tokens.token_type).toBe('dpop')

    const verifier = createTokenVerifier({
      issuer,
      audience: API,
      discovery: true,
    })
    const url = `${API}notes`
    const key = await createDpopKey()
    const wrongKeyProof = await createDpopProof(key, { method: 'GET', url, accessToken: tokens.access_token })
    await expect(
      authenticate(verifier, {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: wrongKeyProof,
        method: 'GET',
        url,
      }),
    ).rejects.toMatchObject({ status: 401 })
    await expect(
      authenticate(verifier, { authorization: `Bearer ${tokens.access_token}`, method: 'GET', url }),
    ).rejects.toMatchObject({ status: 401 })
  })

  it('gives our OAuthClient with dpop a bound token, accepted with its proof', async () => {
    const client = await OAuthClient.discover(issuer, {
      clientId: context.clientId,
      clientSecret: context.secret,
      dpop: true,
      allowInsecureRequests: true,
    })
    const tokens = await client.clientCredentials({ scope: 'read', resource: API })
    expect(tokens.tokenType).toBe('DPoP')
    const key = await client.dpopKey()
    expect(decodeJwt(tokens.accessToken).cnf).toEqual({ jkt: key?.thumbprint })
    const verifier = createTokenVerifier({
      issuer,
      audience: API,
      discovery: true,
    })
    const url = `${API}notes`
    const proof = await createDpopProof(key as NonNullable<typeof key>, {
      method: 'GET',
      url,
      accessToken: tokens.accessToken,
    })
    const auth = await authenticate(verifier, {
      authorization: `DPoP ${tokens.accessToken}`,
      dpop: proof,
      method: 'GET',
      url,
    })
    expect(auth.claims.client_id).toBe(context.clientId)
  })
})
