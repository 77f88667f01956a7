/**
 * The token server: client-credentials requests through every branch (authentication methods,
 * body rules, scopes, resources, throttling), and its tokens verified by the core's verifier
 * against the server's own discovery and JWKS over HTTP on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTokenVerifier, MemoryRateLimitStore } from '@org/auth-core'
import { nodeHandler } from '@org/auth-core/node'
import { fakeClock } from '@org/test-kit/store-contracts'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type ClientRegistry,
  type CreateClientInput,
  createClientRegistry,
  createMemoryClientStore,
  createTokenServer,
  generateSigningKey,
  staticSigningKeys,
  type TokenServerOptions,
} from '../src/index.js'
import { createNodeTokenServer } from '../src/node.js'
import { closeTransports, TRANSPORTS, type Transport, tokenServerOver } from './helpers/transports.js'

const ISSUER = 'https://auth.example.com/m2m'
const API = 'https://api.example.com/'
const OTHER_API = 'https://other.example.com/'

const machine: CreateClientInput = {
  name: 'Billing worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['invoices:read', 'invoices:write'],
  audiences: [API, OTHER_API],
}

// The transport of the suite running now (each suite below runs once per transport).
let transport: Transport = 'web'

async function setup(options: Partial<TokenServerOptions> = {}) {
  const clock = fakeClock(1_800_000_000_000)
  const registry = createClientRegistry({
    store: createMemoryClientStore({ now: clock.now }),
    now: clock.now,
  })
  const key = await generateSigningKey('ES256')
  const created = await registry.create(machine)
  const handler = await tokenServerOver(transport, {
    issuer: ISSUER,
    clients: registry,
    keys: staticSigningKeys([key]),
    now: clock.now,
    ...options,
  })
  return { clock, registry, key, handler, clientId: created.clientId, secret: created.clientSecret as string }
}

const basic = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`

function tokenRequest(
  body: string | URLSearchParams,
  headers: Record<string, string> = {},
  init: RequestInit = {},
): Request {
  return new Request(`${ISSUER}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: String(body),
    ...init,
  })
}

async function read(response: Response) {
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) }
}

afterAll(() => closeTransports())

describe.each(TRANSPORTS)('%s transport', (name) => {
  beforeAll(() => {
    transport = name
  })

  describe('client_credentials', () => {
    it('issues an RFC 9068 access token to client_secret_basic', async () => {
      const { handler, clientId, secret, key, clock } = await setup()
      const response = await read(
        await handler(
          tokenRequest(
            'grant_type=client_credentials&scope=invoices%3Aread&resource=https%3A%2F%2Fapi.example.com%2F',
            {
              authorization: basic(clientId, secret),
            },
          ),
        ),
      )
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('pragma')).toBe('no-cache')
      expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'invoices:read' })
      expect(decodeProtectedHeader(response.body.access_token)).toEqual({
        alg: 'ES256',
        typ: 'at+jwt',
        kid: key.kid,
      })
      const claims = decodeJwt(response.body.access_token)
      const iat = Math.floor(clock.now() / 1000)
      expect(claims).toMatchObject({
        iss: ISSUER,
        aud: API,
        sub: clientId,
        client_id: clientId,
        scope: 'invoices:read',
        iat,
        exp: iat + 300,
      })
      expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{16,}$/)
      expect(response.text).not.toContain(secret)
    })

    it('issues to client_secret_post, with the full allowed scope set when none is requested', async () => {
      const { handler, clientId, secret } = await setup({ accessTokenTtl: 60 })
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        resource: OTHER_API,
      })
      const response = await read(await handler(tokenRequest(body)))
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ expires_in: 60, scope: 'invoices:read invoices:write' })
      expect(decodeJwt(response.body.access_token)).toMatchObject({
        aud: OTHER_API,
        scope: 'invoices:read invoices:write',
      })
      expect(response.text).not.toContain(secret)
    })

    it('decodes Basic credentials as form-urlencoded before base64 (RFC 6749 §2.3.1)', async () => {
      const { registry, clientId, secret } = await setup()
      // Generated secrets are URL-safe; a registry double maps one full of special characters to it.
      const special = 'p@ss:w+rd/ % é&='
      const clients: ClientRegistry = {
        ...registry,
        verifySecret: (id, given) => registry.verifySecret(id, given === special ? secret : `${given}!`),
      }
      const { handler } = await setup({ clients })
      const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`
      const ok = await handler(tokenRequest(form, { authorization: basic(clientId, special) }))
      expect(ok.status).toBe(200)
      // Sent without form-encoding, `+` reads as a space and `%` breaks: the same secret fails.
      const raw = await handler(
        tokenRequest(form, { authorization: `Basic ${btoa(`${clientId}:p@ss:w+rd/`)}` }),
      )
      expect(raw.status).toBe(401)
      expect(raw.headers.get('www-authenticate')).toMatch(/^Basic /)
    })

    it('gives several audiences when several allowed resources are requested', async () => {
      const { handler, clientId, secret } = await setup()
      const body = `grant_type=client_credentials&resource=${encodeURIComponent(API)}&resource=${encodeURIComponent(OTHER_API)}`
      const response = await read(
        await handler(tokenRequest(body, { authorization: basic(clientId, secret) })),
      )
      expect(response.status).toBe(200)
      expect(decodeJwt(response.body.access_token).aud).toEqual([API, OTHER_API])
    })

    it('defaults the audience to the only allowed one, and requires resource when there are several', async () => {
      const { handler, registry, clientId, secret } = await setup()
      const several = await read(
        await handler(
          tokenRequest('grant_type=client_credentials', { authorization: basic(clientId, secret) }),
        ),
      )
      expect(several).toMatchObject({ status: 400, body: { error: 'invalid_target' } })
      await registry.update(clientId, { audiences: [API] })
      const one = await read(
        await handler(
          tokenRequest('grant_type=client_credentials', { authorization: basic(clientId, secret) }),
        ),
      )
      expect(one.status).toBe(200)
      expect(decodeJwt(one.body.access_token).aud).toBe(API)
    })
  })

  describe('refusals', () => {
    async function refused(request: (ids: { clientId: string; secret: string }) => Request, options = {}) {
      const { handler, clientId, secret } = await setup(options)
      const response = await read(await handler(request({ clientId, secret })))
      expect(response.text).not.toContain(secret)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('content-type')).toBe('application/json')
      return response
    }
    const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`

    it('refuses two authentication methods in one request', async () => {
      const response = await refused(({ clientId, secret }) =>
        tokenRequest(`${form}&client_id=${clientId}&client_secret=${secret}`, {
          authorization: basic(clientId, secret),
        }),
      )
      expect(response).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    })

    it('refuses a request without client authentication with 401', async () => {
      const none = await refused(() => tokenRequest(form))
      expect(none).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
      const idOnly = await refused(({ clientId }) => tokenRequest(`${form}&client_id=${clientId}`))
      expect(idOnly).toMatchObject({ status: 401, body: { error: 'invalid_client' } })
    })

    it('answers a wrong secret, an unknown client and a disabled client identically', async () => {
      const { handler, registry, clientId, secret } = await setup()
      const wrong = await read(
        await handler(tokenRequest(form, { authorization: basic(clientId, `${secret}x`) })),
      )
      const unknown = await read(
        await handler(tokenRequest(form, { authorization: basic('oac_nobody', secret) })),
      )
      await registry.disable(clientId)
      const disabled = await read(
        await handler(tokenRequest(form, { authorization: basic(clientId, secret) })),
      )
      for (const response of [wrong, unknown, disabled]) {
        expect(response.status).toBe(401)
        expect(response.headers.get('www-authenticate')).toBe('Basic realm="token"')
        expect(response.text).toBe(wrong.text)
        expect(response.text).not.toContain(secret)
      }
      expect(wrong.body.error).toBe('invalid_client')
      // Without Basic, no Basic challenge.
      const post = await handler(tokenRequest(`${form}&client_id=oac_nobody&client_secret=${secret}`))
      expect(post.status).toBe(401)
      expect(post.headers.get('www-authenticate')).toBeNull()
      expect(await post.text()).toBe(wrong.text)
    })

    it('refuses scopes beyond the allowed set, and resources beyond the allowed audiences', async () => {
      const superset = await refused(({ clientId, secret }) =>
        tokenRequest(`${form}&scope=invoices%3Aread%20admin`, { authorization: basic(clientId, secret) }),
      )
      expect(superset).toMatchObject({ status: 400, body: { error: 'invalid_scope' } })
      const resource = await refused(({ clientId, secret }) =>
        tokenRequest(`${form}&resource=${encodeURIComponent('https://evil.example/')}`, {
          authorization: basic(clientId, secret),
        }),
      )
      expect(resource).toMatchObject({ status: 400, body: { error: 'invalid_target' } })
    })

    it('refuses a client not registered for client_credentials as unauthorized_client', async () => {
      const { handler, registry } = await setup()
      const other = await registry.create({ ...machine, grantTypes: ['refresh_token'] })
      const response = await read(
        await handler(
          tokenRequest(form, { authorization: basic(other.clientId, other.clientSecret as string) }),
        ),
      )
      expect(response).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } })
    })

    it('refuses other grants and a missing grant_type', async () => {
      const other = await refused(({ clientId, secret }) =>
        tokenRequest('grant_type=password&username=a&password=b', { authorization: basic(clientId, secret) }),
      )
      expect(other).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } })
      const missing = await refused(({ clientId, secret }) =>
        tokenRequest(`resource=${encodeURIComponent(API)}`, { authorization: basic(clientId, secret) }),
      )
      expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
    })

    it('refuses repeated parameters (but accepts a repeated resource)', async () => {
      for (const repeated of ['grant_type=client_credentials', 'scope=invoices%3Aread', 'client_id=x']) {
        const response = await refused(({ clientId, secret }) =>
          tokenRequest(`${form}&${repeated}&${repeated}`, { authorization: basic(clientId, secret) }),
        )
        expect(response).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
      }
    })

    it('refuses a JSON body, a GET and an oversized body', async () => {
      const asJson = await refused(({ clientId, secret }) =>
        tokenRequest(JSON.stringify({ grant_type: 'client_credentials' }), {
          authorization: basic(clientId, secret),
          'content-type': 'application/json',
        }),
      )
      expect(asJson).toMatchObject({ status: 400, body: { error: 'invalid_request' } })
      const get = await refused(
        ({ clientId, secret }) =>
          new Request(`${ISSUER}/token?grant_type=client_credentials`, {
            headers: { authorization: basic(clientId, secret) },
          }),
      )
      expect(get).toMatchObject({ status: 405, body: { error: 'invalid_request' } })
      expect(get.headers.get('allow')).toBe('POST')
      const huge = await refused(
        ({ clientId, secret }) =>
          tokenRequest(`${form}&scope=${'a'.repeat(2000)}`, { authorization: basic(clientId, secret) }),
        { maxBodyBytes: 1024 },
      )
      expect(huge).toMatchObject({ status: 413, body: { error: 'invalid_request' } })
      // A streamed body without Content-Length is cut off at the bound as well.
      const streamed = await refused(
        ({ clientId, secret }) =>
          tokenRequest('', { authorization: basic(clientId, secret) }, {
            body: new ReadableStream({
              start(controller) {
                for (let i = 0; i < 10; i++)
                  controller.enqueue(new TextEncoder().encode(`${form}&x${i}=${'b'.repeat(500)}`))
                controller.close()
              },
            }),
            duplex: 'half',
          } as RequestInit),
        { maxBodyBytes: 1024 },
      )
      expect(streamed).toMatchObject({ status: 413, body: { error: 'invalid_request' } })
    })
  })

  describe('hostile credentials', () => {
    const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`

    it('answers odd ids and secrets with the same 401 as a wrong secret', async () => {
      const { handler, clientId, secret } = await setup({ limits: { perClient: 1000 } })
      const reference = await (
        await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))
      ).text()
      const cases: Array<[string, string]> = [
        ["oac_x' OR '1'='1", secret],
        ['oac_\u0000nul', secret],
        ['x'.repeat(5000), secret],
        [clientId, 'y'.repeat(5000)],
        [clientId, `${secret}\u0000`],
        [clientId, ''],
      ]
      for (const [id, given] of cases) {
        const response = await handler(tokenRequest(form, { authorization: basic(id, given) }))
        expect(response.status).toBe(401)
        expect(await response.text()).toBe(reference)
      }
      const malformed = await handler(tokenRequest(form, { authorization: 'Basic !!!' }))
      expect(malformed.status).toBe(401)
      expect(malformed.headers.get('www-authenticate')).toMatch(/^Basic /)
    })
  })
})

describe('configuration', () => {
  it('refuses an insecure or ambiguous issuer and keys with private members', async () => {
    const { registry, key } = await setup()
    const keys = staticSigningKeys([key])
    for (const issuer of ['http://auth.example.com', 'https://auth.example.com/?a=1', 'not a url']) {
      expect(() => createTokenServer({ issuer, clients: registry, keys })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
    expect(() => createTokenServer({ issuer: ISSUER, clients: registry, keys, accessTokenTtl: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => staticSigningKeys([{ ...key, publicJwk: { ...key.publicJwk, d: 'secret' } }])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })

  it('routes under the issuer path only', async () => {
    const { handler } = await setup()
    expect((await handler(new Request('https://auth.example.com/token', { method: 'POST' }))).status).toBe(
      404,
    )
    const metadata = await handler(
      new Request('https://auth.example.com/.well-known/oauth-authorization-server/m2m'),
    )
    expect(metadata.status).toBe(200)
    expect((await metadata.json()).token_endpoint).toBe(`${ISSUER}/token`)
    const head = await handler(new Request(`${ISSUER}/jwks.json`, { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})

describe.each(TRANSPORTS)('%s transport', (name) => {
  beforeAll(() => {
    transport = name
  })

  describe('throttling', () => {
    it('answers failures past the per-client limit 429 with Retry-After, yet lets the right secret in', async () => {
      const clock = fakeClock(1_800_000_000_000)
      const rateLimit = new MemoryRateLimitStore({ now: clock.now })
      const { handler, clientId, secret } = await setup({
        rateLimit,
        now: clock.now,
        limits: { perClient: 3, perAddress: 100, windowSeconds: 60 },
      })
      const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`
      for (let i = 0; i < 3; i++) {
        const wrong = await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))
        expect(wrong.status).toBe(401)
      }
      await clock.advance(10_000)
      const throttled = await read(
        await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') })),
      )
      expect(throttled.status).toBe(429)
      expect(throttled.body.error).toBe('invalid_client')
      expect(Number(throttled.headers.get('retry-after'))).toBe(50)
      // The client id is public (every token names it): failures in its name must not lock it out.
      const right = await handler(tokenRequest(form, { authorization: basic(clientId, secret) }))
      expect(right.status).toBe(200)
    })

    it('refuses everything from an address past its limit, before verifying, until the window ends', async () => {
      const { registry, clientId, secret } = await setup()
      const clock = fakeClock(1_800_000_000_000)
      let verified = 0
      const clients: ClientRegistry = {
        ...registry,
        verifySecret: (id, given) => {
          verified++
          return registry.verifySecret(id, given)
        },
      }
      const { handler } = await setup({
        clients,
        rateLimit: new MemoryRateLimitStore({ now: clock.now }),
        now: clock.now,
        clientAddress: () => '198.51.100.9',
        limits: { perClient: 100, perAddress: 3, windowSeconds: 60 },
      })
      const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`
      for (let i = 0; i < 3; i++) {
        expect((await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))).status).toBe(
          401,
        )
      }
      await clock.advance(10_000)
      const throttled = await handler(tokenRequest(form, { authorization: basic(clientId, secret) }))
      expect(throttled.status).toBe(429)
      expect(Number(throttled.headers.get('retry-after'))).toBe(50)
      expect(verified).toBe(3)
      await clock.advance(50_000)
      expect((await handler(tokenRequest(form, { authorization: basic(clientId, secret) }))).status).toBe(200)
    })

    it('counts failures per address across client ids', async () => {
      const clock = fakeClock(1_800_000_000_000)
      const { handler, clientId, secret } = await setup({
        now: clock.now,
        clientAddress: (request) => request.headers.get('x-test-address') ?? undefined,
        limits: { perClient: 100, perAddress: 2, windowSeconds: 30 },
      })
      const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`
      const from = (address: string, id: string, given: string) =>
        handler(tokenRequest(form, { authorization: basic(id, given), 'x-test-address': address }))
      expect((await from('192.0.2.1', clientId, secret)).status).toBe(200)
      expect((await from('192.0.2.1', 'oac_a', 'x')).status).toBe(401)
      expect((await from('192.0.2.1', 'oac_b', 'x')).status).toBe(401)
      const third = await from('192.0.2.1', 'oac_c', 'x')
      expect(third.status).toBe(429)
      expect(third.headers.get('retry-after')).toBe('30')
      // Another address is not affected.
      expect((await from('192.0.2.2', clientId, secret)).status).toBe(200)
    })
  })

  describe('throttling under concurrency', () => {
    const form = `grant_type=client_credentials&resource=${encodeURIComponent(API)}`

    it("never throttles a client's concurrent successes, whatever their number, and writes no counter", async () => {
      const rateLimit = new MemoryRateLimitStore()
      const hits = vi.spyOn(rateLimit, 'hit')
      const { handler, clientId, secret } = await setup({
        rateLimit,
        clientAddress: () => '192.0.2.7',
        limits: { perClient: 3, perAddress: 3 },
      })
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          handler(tokenRequest(form, { authorization: basic(clientId, secret) })),
        ),
      )
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
      expect(hits).not.toHaveBeenCalled()
      await expect(rateLimit.peek(`oauth-token:client:${clientId}`)).resolves.toBeUndefined()
    })

    it('counts each of many concurrent failures once, and an address past its limit is refused', async () => {
      const rateLimit = new MemoryRateLimitStore()
      const { handler, clientId, secret } = await setup({
        rateLimit,
        clientAddress: () => '198.51.100.20',
        limits: { perClient: 1000, perAddress: 5 },
      })
      const answers = await Promise.all(
        Array.from({ length: 40 }, () =>
          handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') })),
        ),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.every((status) => status === 401 || status === 429)).toBe(true)
      // Every verified failure was counted once, on both counters.
      const verifiedFailures = (await rateLimit.peek(`oauth-token:client:${clientId}`))?.count
      expect((await rateLimit.peek('oauth-token:address:198.51.100.20'))?.count).toBe(verifiedFailures)
      expect(verifiedFailures).toBeGreaterThanOrEqual(5)
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5)
      const right = await handler(tokenRequest(form, { authorization: basic(clientId, secret) }))
      expect(right.status).toBe(429)
    })

    it('keeps earlier failures after a success (a success is not a reset)', async () => {
      const rateLimit = new MemoryRateLimitStore()
      const { handler, clientId, secret } = await setup({ rateLimit, limits: { perClient: 3 } })
      for (let i = 0; i < 2; i++)
        await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))
      expect((await handler(tokenRequest(form, { authorization: basic(clientId, secret) }))).status).toBe(200)
      expect((await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))).status).toBe(
        401,
      )
      expect((await handler(tokenRequest(form, { authorization: basic(clientId, 'wrong') }))).status).toBe(
        429,
      )
    })
  })
})

describe.each(TRANSPORTS)('discovery, JWKS and interoperability over HTTP (%s transport)', (over) => {
  let issuer: string
  let close: () => void
  let clientId: string
  let secret: string
  let kid: string

  beforeAll(async () => {
    const registry = createClientRegistry({ store: createMemoryClientStore() })
    const created = await registry.create({ ...machine, audiences: [API] })
    clientId = created.clientId
    secret = created.clientSecret as string
    const key = await generateSigningKey('EdDSA')
    kid = key.kid
    // The issuer names the port, so the server is made once the socket listens.
    let listener: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
      res.writeHead(503).end()
    const server = createServer((req, res) => listener(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`
    const options = { issuer, clients: registry, keys: staticSigningKeys([key]) }
    listener = over === 'node' ? createNodeTokenServer(options) : nodeHandler(createTokenServer(options))
    close = () => server.close()
  })
  afterAll(() => close())

  it('serves RFC 8414 metadata and the public JWKS', async () => {
    const url = new URL(issuer)
    const ASSERTION_ALGS = [
      'EdDSA',
      'Ed25519',
      'ES256',
      'ES384',
      'ES512',
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
    ]
    const metadata = await fetch(`${url.origin}/.well-known/oauth-authorization-server/auth`)
    expect(metadata.status).toBe(200)
    expect(metadata.headers.get('cache-control')).toMatch(/max-age=\d+/)
    expect(await metadata.json()).toEqual({
      issuer,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      response_types_supported: [],
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'RS256'],
      introspection_endpoint: `${issuer}/introspect`,
      introspection_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
      revocation_endpoint: `${issuer}/revoke`,
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
      ],
      revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS,
    })
    const jwks = await (await fetch(`${issuer}/jwks.json`)).json()
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid, alg: 'EdDSA', use: 'sig' })
    expect(jwks.keys[0].d).toBeUndefined()
    expect((await fetch(`${issuer}/nothing`)).status).toBe(404)
  })

  it('issues a token the core verifier accepts through discovery (tokenType access)', async () => {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(clientId, secret),
      },
      body: 'grant_type=client_credentials&scope=invoices%3Awrite',
    })
    expect(response.status).toBe(200)
    const { access_token } = await response.json()
    const verifier = createTokenVerifier({ issuer, audience: API, discovery: true, tokenType: 'access' })
    const claims = await verifier.verify(access_token)
    expect(claims).toMatchObject({ iss: issuer, sub: clientId, client_id: clientId, scope: 'invoices:write' })
    const elsewhere = createTokenVerifier({
      issuer,
      audience: OTHER_API,
      discovery: true,
      tokenType: 'access',
    })
    await expect(elsewhere.verify(access_token)).rejects.toMatchObject({ status: 401 })
  })

  // openid-client (panva) as an independent client: RFC 8414 discovery, then each method.
  for (const [method, auth] of [
    ['client_secret_basic', oidc.ClientSecretBasic],
    ['client_secret_post', oidc.ClientSecretPost],
  ] as const) {
    it(`gives openid-client a token with ${method}`, async () => {
      const config = await oidc.discovery(new URL(issuer), clientId, undefined, auth(secret), {
        algorithm: 'oauth2',
        execute: [oidc.allowInsecureRequests],
      })
      expect(config.serverMetadata().token_endpoint).toBe(`${issuer}/token`)
      const tokens = await oidc.clientCredentialsGrant(
        config,
        new URLSearchParams({ scope: 'invoices:read', resource: API }),
      )
      expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 300, scope: 'invoices:read' })
      const verifier = createTokenVerifier({ issuer, audience: API, discovery: true, tokenType: 'access' })
      expect(await verifier.verify(tokens.access_token)).toMatchObject({ client_id: clientId })
    })
  }
})
