import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { calculateJwkThumbprint, decodeJwt, EmbeddedJWK, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dpopAth } from '../src/dpop/proof-sign.js'
import { createAuthorizedFetch, createDpopKey, OAuthClient, OAuthExchangeError } from '../src/index.js'

// The nonce retry is bounded: one retry, only for a nonce not sent before. Scripted servers
// here (fault injection: a server that keeps asking); the real provider's nonces are in
// dpop-client.test.ts.

const ISSUER = 'https://as.example.test'
const TOKEN = `${ISSUER}/token`

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })
}

async function scriptedClient(answer: (n: number, request: Request) => Response) {
  const requests: Request[] = []
  const client = new OAuthClient({
    metadata: { issuer: ISSUER, token_endpoint: TOKEN },
    clientId: 'c',
    clientSecret: 's',
    dpop: await createDpopKey(),
    tokenCache: false,
    fetch: async (input, init) => {
      const request = new Request(input, init)
      requests.push(request)
      return answer(requests.length, request)
    },
  })
  return { client, requests }
}

const nonceOf = (request: Request | undefined) => decodeJwt(request?.headers.get('dpop') ?? '')['nonce']

describe('token endpoint use_dpop_nonce', () => {
  it('retries once with the new nonce and a fresh proof', async () => {
    const { client, requests } = await scriptedClient((n) =>
      n === 1
        ? json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'n1' })
        : json(200, { access_token: 'at', token_type: 'DPoP', expires_in: 60 }),
    )
    await expect(client.clientCredentials()).resolves.toMatchObject({ tokenType: 'DPoP' })
    expect(requests).toHaveLength(2)
    expect(nonceOf(requests[0])).toBeUndefined()
    expect(nonceOf(requests[1])).toBe('n1')
    // Client authentication is applied again on the retry.
    expect(requests[1]?.headers.get('authorization')).toMatch(/^Basic /)
  })

  it('does not loop on a server that keeps asking, even with a new nonce each time', async () => {
    const { client, requests } = await scriptedClient((n) =>
      json(400, { error: 'use_dpop_nonce', error_description: 'again' }, { 'dpop-nonce': `n${n}` }),
    )
    const failure = await client.clientCredentials().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(OAuthExchangeError)
    expect(failure).toMatchObject({ error: 'use_dpop_nonce' })
    expect(requests).toHaveLength(2)
    // The latest nonce is still remembered for the next call.
    await client.clientCredentials().catch(() => undefined)
    expect(nonceOf(requests[2])).toBe('n2')
  })

  it('does not retry without a DPoP-Nonce, or with the nonce already sent', async () => {
    const none = await scriptedClient(() => json(400, { error: 'use_dpop_nonce' }))
    await expect(none.client.clientCredentials()).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    expect(none.requests).toHaveLength(1)

    const same = await scriptedClient(() => json(400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'fixed' }))
    await expect(same.client.clientCredentials()).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    expect(same.requests).toHaveLength(2)
    await expect(same.client.clientCredentials()).rejects.toMatchObject({ error: 'use_dpop_nonce' })
    // The second call sent 'fixed' at once and got 'fixed' back: no retry.
    expect(same.requests).toHaveLength(3)
  })

  it('refuses a DPoP token type when no proof was sent, and accepts Bearer when one was', async () => {
    const plain = new OAuthClient({
      metadata: { issuer: ISSUER, token_endpoint: TOKEN },
      clientId: 'c',
      clientSecret: 's',
      fetch: async () => json(200, { access_token: 'at', token_type: 'DPoP' }),
    })
    await expect(plain.clientCredentials()).rejects.toMatchObject({ code: 'ERR_TOKEN_TYPE_UNSUPPORTED' })
    const { client } = await scriptedClient(() => json(200, { access_token: 'at', token_type: 'bearer' }))
    await expect(client.clientCredentials()).resolves.toMatchObject({ tokenType: 'Bearer' })
  })

  it('sends dpop_jkt on authorization requests, which extraParams cannot replace', async () => {
    const key = await createDpopKey()
    const client = new OAuthClient({
      metadata: { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize` },
      clientId: 'c',
      redirectUri: 'https://app.test/cb',
      dpop: key,
    })
    const request = await client.authorizationUrl()
    expect(request.url.searchParams.getAll('dpop_jkt')).toEqual([key.thumbprint])
    await expect(client.authorizationUrl({ extraParams: { dpop_jkt: 'attacker' } })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    const plain = new OAuthClient({
      metadata: { issuer: ISSUER, authorization_endpoint: `${ISSUER}/authorize` },
      clientId: 'c',
      redirectUri: 'https://app.test/cb',
    })
    const bare = await plain.authorizationUrl()
    expect(bare.url.searchParams.has('dpop_jkt')).toBe(false)
    expect(bare).not.toHaveProperty('dpopJkt')
  })

  it('checks the dpop option when the client is made', () => {
    const base = { metadata: { issuer: ISSUER, token_endpoint: TOKEN }, clientId: 'c' }
    for (const dpop of ['yes', {}, { thumbprint: 'x' }, 1]) {
      expect(() => new OAuthClient({ ...base, dpop: dpop as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
  })
})

/**
 * An API in front of the dev IdP's DPoP tokens (fault injection: it requires a nonce it rotates
 * at will). It checks what a DPoP resource server checks: the proof's signature and claims, `ath`,
 * and the token's `cnf.jkt` against the proof key.
 */
function dpopApi(options: { nonces: (n: number) => string | undefined }) {
  const seen: { authorization: string | null; proof: Record<string, unknown> | undefined; status: number }[] =
    []
  const handle = async (request: Request): Promise<Response> => {
    const authorization = request.headers.get('authorization')
    const proof = request.headers.get('dpop')
    const required = options.nonces(seen.length + 1)
    const record = (status: number, payload?: Record<string, unknown>) => {
      seen.push({ authorization, proof: payload, status })
    }
    if (!authorization?.startsWith('DPoP ') || proof === null) {
      record(401)
      return new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP algs="ES256"' } })
    }
    const token = authorization.slice(5)
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
    const ok =
      payload['htm'] === request.method &&
      payload['htu'] === request.url.split('?')[0] &&
      payload['ath'] === (await dpopAth(token)) &&
      (decodeJwt(token)['cnf'] as { jkt: string }).jkt ===
        (await calculateJwkThumbprint(protectedHeader.jwk ?? {}))
    if (!ok) {
      record(401, payload)
      return new Response(null, {
        status: 401,
        headers: { 'www-authenticate': 'DPoP error="invalid_token"' },
      })
    }
    if (required !== undefined && payload['nonce'] !== required) {
      record(401, payload)
      return new Response(null, {
        status: 401,
        headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': required },
      })
    }
    record(200, payload)
    return json(200, { ok: true })
  }
  return {
    seen,
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => handle(new Request(input, init)),
  }
}

describe('createAuthorizedFetch with DPoP tokens from the dev IdP', () => {
  let provider: DevIdp
  beforeAll(async () => {
    provider = await startDevIdp()
  })
  afterAll(async () => {
    await provider.close()
  })

  const client = () =>
    OAuthClient.discover(provider.issuer, {
      clientId: provider.client.clientId,
      clientSecret: provider.client.clientSecret,
      dpop: true,
    })

  it('sends Authorization: DPoP with a proof (ath, htm, htu) the API accepts', async () => {
    const api = dpopApi({ nonces: () => undefined })
    const call = createAuthorizedFetch({
      client: await client(),
      resource: provider.resource,
      fetch: api.fetch,
    })
    const response = await call(`${provider.resource}/items?page=2`, { method: 'POST', body: '{}' })
    expect(response.status).toBe(200)
    expect(api.seen).toHaveLength(1)
    expect(api.seen[0]?.authorization).toMatch(/^DPoP ey/)
    expect(api.seen[0]?.proof).toMatchObject({ htm: 'POST', htu: `${provider.resource}/items` })
  })

  it('retries once on a use_dpop_nonce challenge, then sends the remembered nonce at once', async () => {
    const api = dpopApi({ nonces: () => 'api-nonce-1' })
    const call = createAuthorizedFetch({
      client: await client(),
      resource: provider.resource,
      fetch: api.fetch,
    })
    expect((await call(`${provider.resource}/a`)).status).toBe(200)
    expect(api.seen.map((s) => s.status)).toEqual([401, 200])
    expect(api.seen[1]?.proof?.['nonce']).toBe('api-nonce-1')
    expect((await call(`${provider.resource}/b`)).status).toBe(200)
    expect(api.seen.map((s) => s.status)).toEqual([401, 200, 200])
  })

  it('returns the second use_dpop_nonce as it is: no loop', async () => {
    const api = dpopApi({ nonces: (n) => `rotating-${n}` })
    const call = createAuthorizedFetch({
      client: await client(),
      resource: provider.resource,
      fetch: api.fetch,
    })
    const response = await call(`${provider.resource}/a`)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('use_dpop_nonce')
    expect(api.seen).toHaveLength(2)
  })

  it('does not resend a one-shot body for the nonce', async () => {
    const api = dpopApi({ nonces: () => 'n' })
    const call = createAuthorizedFetch({
      client: await client(),
      resource: provider.resource,
      fetch: api.fetch,
    })
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'))
        controller.close()
      },
    })
    const response = await call(`${provider.resource}/a`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(401)
    expect(api.seen).toHaveLength(1)
  })

  it('never sends a DPoP token as Bearer: without a known key the call fails before sending', async () => {
    const api = dpopApi({ nonces: () => undefined })
    const real = await client()
    // A client that hides its key (not an OAuthClient): the DPoP token has no key to go with.
    const call = createAuthorizedFetch({
      client: { clientCredentials: (params) => real.clientCredentials(params) },
      resource: provider.resource,
      fetch: api.fetch,
    })
    await expect(call(`${provider.resource}/a`)).rejects.toMatchObject({ code: 'ERR_DPOP_KEY_REQUIRED' })
    expect(api.seen).toHaveLength(0)
    // Given the key explicitly, it works.
    const withKey = createAuthorizedFetch({
      client: { clientCredentials: (params) => real.clientCredentials(params) },
      dpop: (await real.dpopKey()) ?? undefined,
      resource: provider.resource,
      fetch: api.fetch,
    })
    expect((await withKey(`${provider.resource}/a`)).status).toBe(200)
  })
})
