import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DevIdp } from '@org/dev-idp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type AuthorizedFetchOptions,
  createAuthorizedFetch,
  createTokenVerifier,
  describeAuthError,
  extractBearerToken,
  isAuthError,
  JWTVerificationError,
  OAuthClient,
} from '../src/index.js'
import { isInvalidTokenChallenge } from '../src/oauth/authorized-fetch.js'
import { devIdps } from './helpers/dev-idps.js'

const startIdp = devIdps()

/** What the resource server saw of one request. */
interface Seen {
  url: string
  headers: IncomingHttpHeaders
  body: string
  /** The verified token's `jti`, when it passed. */
  jti?: string
}

/**
 * An API on 127.0.0.1 that verifies bearer tokens with the core's verifier (audience: its own
 * origin) and answers RFC 6750 challenges from `describeAuthError`. `revoked` holds access tokens
 * it refuses with `invalid_token` although they verify; `answer` overrides the answer for tests.
 */
interface Api {
  origin: string
  seen: Seen[]
  revoked: Set<string>
  answer?: (seen: Seen) => { status: number; headers: Record<string, string> } | undefined
  close(): Promise<void>
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

async function startApi(issuer: string): Promise<Api> {
  const api: Api = { origin: '', seen: [], revoked: new Set(), close: async () => undefined }
  let verifier: ReturnType<typeof createTokenVerifier> | undefined
  const server = await listen((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const seen: Seen = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() }
      api.seen.push(seen)
      const scripted = api.answer?.(seen)
      if (scripted !== undefined) {
        res.writeHead(scripted.status, scripted.headers).end()
        return
      }
      try {
        const token = extractBearerToken(req.headers.authorization)
        if (api.revoked.has(token)) throw new JWTVerificationError('ERR_TEST_REVOKED', 'Revoked by the test')
        verifier ??= createTokenVerifier({ issuer, audience: api.origin, discovery: true })
        const claims = await verifier.verify(token)
        seen.jti = String(claims.jti)
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ clientId: claims['client_id'], body: seen.body }))
      } catch (error) {
        if (!isAuthError(error)) throw error
        const parts = describeAuthError(error, { realm: 'api' })
        res.writeHead(parts.status, parts.headers).end(JSON.stringify(parts.body))
      }
    })
  })
  api.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  api.close = () => closeServer(server)
  return api
}

let idp: DevIdp
let api: Api
/** Token requests the client made. */
let tokenRequests: number
/** When set, the next token request fails with this network error. */
let failNextTokenRequest = false
let clock: number

async function client(): Promise<OAuthClient> {
  return OAuthClient.discover(idp.issuer, {
    clientId: idp.client.clientId,
    clientSecret: idp.client.clientSecret,
    fetch: async (input, init) => {
      if (String(input) === idp.endpoints.token) {
        tokenRequests += 1
        if (failNextTokenRequest) {
          failNextTokenRequest = false
          throw new TypeError('network down')
        }
      }
      return fetch(input, init)
    },
  })
}

async function authorizedFetch(options: Partial<AuthorizedFetchOptions> = {}) {
  return createAuthorizedFetch({
    client: await client(),
    scope: 'read',
    resource: api.origin,
    now: () => clock,
    ...options,
  })
}

/** The bearer token the API saw on its `i`-th request. */
const tokenOf = (i: number) => api.seen[i]?.headers.authorization?.replace(/^Bearer /, '')

describe('createAuthorizedFetch against the dev IdP and a verifying API', () => {
  beforeEach(async () => {
    idp = await startIdp()
    api = await startApi(idp.issuer)
    tokenRequests = 0
    failNextTokenRequest = false
    clock = Date.UTC(2030, 0, 1)
  })
  afterEach(async () => {
    await api.close()
  })

  it('attaches a verified token in the Authorization header and caches it', async () => {
    const call = await authorizedFetch()
    const first = await call(`${api.origin}/things?x=1`)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ clientId: idp.client.clientId, body: '' })
    const second = await call(new URL('/other', api.origin), { method: 'POST', body: 'hello' })
    expect(await second.json()).toEqual({ clientId: idp.client.clientId, body: 'hello' })
    expect(tokenRequests).toBe(1)
    expect(tokenOf(0)).toBe(tokenOf(1))
    expect(api.seen[0]?.url).toBe('/things?x=1')
    // In the header only, never in the URL.
    expect(api.seen.some((seen) => seen.url.includes(tokenOf(0) ?? '?'))).toBe(false)
  })

  it('accepts a Request and overrides any Authorization header the caller set', async () => {
    const call = await authorizedFetch()
    const response = await call(
      new Request(`${api.origin}/r`, { headers: { authorization: 'Bearer forged' } }),
    )
    expect(response.status).toBe(200)
    expect(tokenOf(0)).not.toBe('forged')
  })

  it('renews renewBefore seconds before expiry (300 s tokens), not earlier', async () => {
    const call = await authorizedFetch()
    await call(api.origin)
    clock += 269_000
    await call(api.origin)
    expect(tokenRequests).toBe(1)
    clock += 2_000
    expect((await call(api.origin)).status).toBe(200)
    expect(tokenRequests).toBe(2)
    expect(tokenOf(2)).not.toBe(tokenOf(1))
    expect(api.seen[2]?.jti).toBeDefined()
  })

  it('takes a custom renewBefore margin', async () => {
    const call = await authorizedFetch({ renewBefore: 100 })
    await call(api.origin)
    clock += 199_000
    await call(api.origin)
    expect(tokenRequests).toBe(1)
    clock += 2_000
    await call(api.origin)
    expect(tokenRequests).toBe(2)
  })

  it('renews short-lived tokens at half their lifetime when renewBefore exceeds it', async () => {
    await api.close()
    idp = await startIdp({ accessTokenTtl: 40 })
    api = await startApi(idp.issuer)
    const call = await authorizedFetch()
    await call(api.origin)
    clock += 19_000
    await call(api.origin)
    expect(tokenRequests).toBe(1)
    clock += 2_000
    await call(api.origin)
    expect(tokenRequests).toBe(2)
  })

  it('shares one token request between concurrent callers', async () => {
    const call = await authorizedFetch()
    const responses = await Promise.all(Array.from({ length: 8 }, () => call(api.origin)))
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(tokenRequests).toBe(1)
    expect(new Set(api.seen.map((seen) => seen.jti)).size).toBe(1)
  })

  it('does not keep a failed renewal: the next call asks again', async () => {
    const call = await authorizedFetch()
    failNextTokenRequest = true
    const error = await call(api.origin).catch((e: unknown) => e)
    expect(isAuthError(error)).toBe(true)
    expect(api.seen).toHaveLength(0)
    expect((await call(api.origin)).status).toBe(200)
    expect(tokenRequests).toBe(2)
  })

  it('retries once with a new token on 401 invalid_token, resending a replayable body', async () => {
    const call = await authorizedFetch()
    await call(api.origin)
    api.revoked.add(tokenOf(0) ?? '')
    const response = await call(`${api.origin}/write`, {
      method: 'POST',
      body: new URLSearchParams({ a: '1' }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ body: 'a=1' })
    expect(tokenRequests).toBe(2)
    expect(api.seen).toHaveLength(3)
    expect(tokenOf(2)).not.toBe(tokenOf(1))
    // The new token is cached for what follows.
    await call(api.origin)
    expect(tokenRequests).toBe(2)
    expect(tokenOf(3)).toBe(tokenOf(2))
  })

  it('returns a second 401 as it is: one retry, no loop', async () => {
    const call = await authorizedFetch()
    api.answer = () => ({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' },
    })
    const response = await call(api.origin)
    expect(response.status).toBe(401)
    expect(api.seen).toHaveLength(2)
    expect(tokenRequests).toBe(2)
  })

  it('does not retry a 401 without invalid_token, nor one from another scheme', async () => {
    const call = await authorizedFetch()
    for (const challenge of [
      'Bearer realm="api"',
      'Bearer error="insufficient_scope"',
      'DPoP error="invalid_token", Bearer realm="api"',
    ]) {
      api.answer = () => ({ status: 401, headers: { 'www-authenticate': challenge } })
      expect((await call(api.origin)).status).toBe(401)
    }
    expect(api.seen).toHaveLength(3)
    expect(tokenRequests).toBe(1)
  })

  it('does not resend a one-shot stream body (the 401 is returned)', async () => {
    const call = await authorizedFetch()
    await call(api.origin)
    api.revoked.add(tokenOf(0) ?? '')
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'))
        controller.close()
      },
    })
    const response = await call(api.origin, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(response.status).toBe(401)
    expect(api.seen).toHaveLength(2)
    expect(api.seen[1]?.body).toBe('streamed')
    // Nor a Request carrying its own (stream) body.
    const request = new Request(api.origin, { method: 'POST', body: 'in a request' })
    expect((await call(request)).status).toBe(401)
    expect(api.seen).toHaveLength(3)
    expect(tokenRequests).toBe(1)
  })

  it('refuses an origin outside allowedOrigins before fetching a token', async () => {
    const other = await startApi(idp.issuer)
    try {
      const call = await authorizedFetch()
      const port = new URL(api.origin).port
      for (const url of [other.origin, `http://localhost:${port}/`, `https://127.0.0.1:${port}/`]) {
        await expect(call(url)).rejects.toMatchObject({ code: 'ERR_ORIGIN_NOT_ALLOWED' })
      }
      expect(other.seen).toHaveLength(0)
      expect(tokenRequests).toBe(0)
      // An explicit list replaces the resource's origin.
      const listed = await authorizedFetch({ allowedOrigins: [other.origin] })
      await expect(listed(api.origin)).rejects.toMatchObject({ code: 'ERR_ORIGIN_NOT_ALLOWED' })
    } finally {
      await other.close()
    }
  })

  it('does not carry the token across a redirect to another origin', async () => {
    const other = await startApi(idp.issuer)
    try {
      const call = await authorizedFetch()
      api.answer = () => ({ status: 302, headers: { location: `${other.origin}/landing` } })
      await call(api.origin)
      expect(api.seen[0]?.headers.authorization).toMatch(/^Bearer /)
      expect(other.seen).toHaveLength(1)
      expect(other.seen[0]?.headers.authorization).toBeUndefined()
    } finally {
      await other.close()
    }
  })

  it('keeps the token out of error messages', async () => {
    const call = await authorizedFetch()
    await call(api.origin)
    const token = tokenOf(0) ?? ''
    expect(token.length).toBeGreaterThan(20)
    const errors: unknown[] = []
    errors.push(await call('https://attacker.example.test/').catch((e: unknown) => e))
    await api.close()
    errors.push(await call(api.origin).catch((e: unknown) => e))
    const text = (error: unknown): string =>
      error instanceof Error
        ? `${error.name} ${error.message} ${error.stack} ${text(error.cause)}`
        : String(error)
    expect(errors).toHaveLength(2)
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error)
      expect(text(error)).not.toContain(token)
    }
  })
})

describe('createAuthorizedFetch options', () => {
  const fakeClient = { clientCredentials: () => Promise.reject(new Error('not called')) }

  it.each([
    [{}, /"allowedOrigins" is required/],
    [{ resource: 'urn:example:api' }, /"allowedOrigins" is required/],
    [{ resource: 'http://api.example.test' }, /"resource" must be an https URL/],
    [{ allowedOrigins: ['http://api.example.test'] }, /"allowedOrigins" must be an https URL/],
    [{ allowedOrigins: ['https://api.example.test/v1'] }, /must be origins/],
    // A DNS name that starts with "127." is not loopback.
    [{ allowedOrigins: ['http://127.attacker.example'] }, /"allowedOrigins" must be an https URL/],
    [{ allowedOrigins: 'https://api.example.test' }, /must be a list/],
    [{ resource: 'https://a.test', renewBefore: -1 }, /"renewBefore"/],
    [{ resource: 'https://a.test', bogus: 1 }, /Unknown createAuthorizedFetch option "bogus"/],
  ])('refuses %j', (options, message) => {
    expect(() => createAuthorizedFetch({ client: fakeClient, ...options } as AuthorizedFetchOptions)).toThrow(
      message,
    )
  })

  it('refuses a missing client', () => {
    expect(() => createAuthorizedFetch({ resource: 'https://a.test' } as AuthorizedFetchOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })

  it('allows plain http to a non-loopback origin only with allowInsecureRequests', () => {
    expect(() =>
      createAuthorizedFetch({
        client: fakeClient,
        allowedOrigins: ['http://api.internal'],
        allowInsecureRequests: true,
      }),
    ).not.toThrow()
  })
})

describe('isInvalidTokenChallenge', () => {
  it.each([
    ['Bearer error="invalid_token"', true],
    ['bearer realm="x", error=invalid_token, error_description="expired, sorry"', true],
    ['Basic realm="x", Bearer error="invalid_token"', true],
    ['Bearer realm="error=\\"invalid_token\\""', false],
    ['Bearer error="invalid_request"', false],
    ['DPoP error="invalid_token"', false],
    ['', false],
  ])('%s → %s', (header, expected) => {
    expect(isInvalidTokenChallenge(header)).toBe(expected)
  })
})
