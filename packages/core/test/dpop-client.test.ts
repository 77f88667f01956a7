import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createDpopKey,
  type DeviceAuthorization,
  type DPoPKey,
  None,
  OAuthClient,
  type OAuthClientOptions,
  OAuthExchangeError,
  skipSubjectCheck,
  type TokenSet,
} from '../src/index.js'

// Our OAuthClient against oidc-provider 9 (DPoP on by default): every grant yields a DPoP-bound
// token whose `cnf.jkt` is our key's thumbprint, and the provider's nonce challenges are met.

interface Sent {
  method: string
  url: string
  status: number
  authorization: string | null
  dpop: string | null
}

/** A fetch that records what went out (the DPoP proof, the Authorization scheme) and the status. */
function recordingFetch() {
  const sent: Sent[] = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const response = await fetch(request)
    sent.push({
      method: request.method,
      url: request.url,
      status: response.status,
      authorization: request.headers.get('authorization'),
      dpop: request.headers.get('dpop'),
    })
    return response
  }
  return { sent, fetch: fetchImpl }
}

const jktOf = (token: string) => (decodeJwt(token)['cnf'] as { jkt?: string } | undefined)?.jkt

function expectBound(tokens: TokenSet, key: DPoPKey): void {
  expect(tokens.tokenType).toBe('DPoP')
  expect(tokens.raw['token_type']).toBe('DPoP')
  expect(jktOf(tokens.accessToken)).toBe(key.thumbprint)
}

/** Polls against the real provider: only `setTimeout` is faked, so the provider keeps real time. */
async function pollNow(client: OAuthClient, device: DeviceAuthorization): Promise<TokenSet> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  const polling = client.pollDeviceToken(device)
  const settled = polling.then(
    () => undefined,
    () => undefined,
  )
  await vi.advanceTimersByTimeAsync(device.interval * 1000)
  await settled
  vi.useRealTimers()
  return polling
}

describe('DPoP-bound tokens from oidc-provider', () => {
  let provider: DevIdp
  beforeAll(async () => {
    provider = await startDevIdp()
  })
  afterAll(async () => {
    await provider.close()
  })

  const basicClient = (options: Partial<OAuthClientOptions> = {}) =>
    OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.basic.clientId,
      clientSecret: provider.clients.basic.clientSecret,
      redirectUri: provider.clients.basic.redirectUri,
      ...options,
    })
  const publicClient = (options: Partial<OAuthClientOptions> = {}) =>
    OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.public.clientId,
      clientAuthentication: None(),
      redirectUri: provider.clients.public.redirectUri,
      ...options,
    })

  it('client credentials: token_type DPoP, cnf.jkt is the key thumbprint, a proof on the request', async () => {
    const key = await createDpopKey()
    const log = recordingFetch()
    const client = await basicClient({ dpop: key, fetch: log.fetch, tokenCache: false })
    const tokens = await client.clientCredentials({ scope: 'read', resource: provider.resource })
    expectBound(tokens, key)
    const call = log.sent.find((s) => s.url === provider.endpoints.token)
    expect(call?.dpop).toBeTruthy()
    const proof = decodeJwt(call?.dpop ?? '')
    expect(proof).toMatchObject({ htm: 'POST', htu: provider.endpoints.token })
    expect(proof).not.toHaveProperty('ath')
    expect(decodeProtectedHeader(call?.dpop ?? '').jwk).toEqual(key.publicJwk)
    // Without a proof the same client gets a Bearer token: DPoP is the option's doing.
    const plain = await basicClient({ tokenCache: false })
    const bearer = await plain.clientCredentials({ scope: 'read', resource: provider.resource })
    expect(bearer.tokenType).toBe('Bearer')
    expect(jktOf(bearer.accessToken)).toBeUndefined()
  })

  it('dpop: true generates one key for the client, used by every request', async () => {
    const client = await basicClient({ dpop: true, tokenCache: false })
    const key = await client.dpopKey()
    expect(key).toBeDefined()
    expect(await client.dpopKey()).toBe(key)
    expect(key?.privateKey.extractable).toBe(false)
    const tokens = await client.clientCredentials({ resource: provider.resource })
    expectBound(tokens, key as DPoPKey)
    expect(await (await basicClient()).dpopKey()).toBeUndefined()
  })

  it('authorization code (public client): dpop_jkt on the request, bound tokens, a bound refresh', async () => {
    const client = await publicClient({ dpop: true })
    const key = (await client.dpopKey()) as DPoPKey
    const request = await client.authorizationUrl({
      scope: ['openid', 'offline_access'],
      prompt: 'consent',
      resource: provider.resource,
    })
    expect(request.url.searchParams.get('dpop_jkt')).toBe(key.thumbprint)
    expect(request.dpopJkt).toBe(key.thumbprint)
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    expectBound(tokens, key)
    expect(tokens.claims?.sub).toBe('alice')
    expect(tokens.refreshToken).toBeDefined()

    const refreshed = await client.refresh(tokens)
    expectBound(refreshed, key)
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)

    // The public client's refresh token is bound to the key: a client without it is refused
    // locally for a DPoP token set, and by the provider for the bare refresh token.
    const keyless = await publicClient()
    expect(() => keyless.refresh(refreshed)).toThrow(
      expect.objectContaining({ code: 'ERR_DPOP_KEY_REQUIRED' }),
    )
    const otherKey = await publicClient({ dpop: true })
    await expect(otherKey.refresh(refreshed.refreshToken as string)).rejects.toBeInstanceOf(
      OAuthExchangeError,
    )
  })

  it('authorization code through PAR (confidential client): the proof at PAR binds the code', async () => {
    const key = await createDpopKey()
    const log = recordingFetch()
    const client = await basicClient({ dpop: key, pushedAuthorizationRequests: true, fetch: log.fetch })
    const request = await client.authorizationUrl({ resource: provider.resource })
    expect(request.url.searchParams.get('request_uri')).toMatch(/^urn:/)
    const par = log.sent.find((s) => s.url === provider.endpoints.pushedAuthorizationRequest)
    expect(decodeJwt(par?.dpop ?? '')).toMatchObject({
      htm: 'POST',
      htu: provider.endpoints.pushedAuthorizationRequest,
    })
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    expectBound(tokens, key)
  })

  it('a key per login (dpopKey on the call): the code is redeemable only with that key', async () => {
    const client = await publicClient()
    const loginKey = await createDpopKey()
    const request = await client.authorizationUrl({ dpopKey: loginKey, resource: provider.resource })
    expect(request.url.searchParams.get('dpop_jkt')).toBe(loginKey.thumbprint)
    const callback = await provider.authorize(request.url)
    // Another key, or none: refused before the code is spent.
    await expect(client.handleCallback(callback, request)).rejects.toMatchObject({
      code: 'ERR_DPOP_KEY_MISMATCH',
    })
    await expect(
      client.handleCallback(callback, request, { dpopKey: await createDpopKey() }),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_KEY_MISMATCH' })
    const tokens = await client.handleCallback(callback, request, { dpopKey: loginKey })
    expectBound(tokens, loginKey)
  })

  it('the provider itself refuses a code bound by dpop_jkt when redeemed with another key', async () => {
    const loginKey = await createDpopKey()
    const client = await publicClient({ dpop: await createDpopKey() })
    const request = await client.authorizationUrl({ dpopKey: loginKey })
    const callback = await provider.authorize(request.url)
    // Bypass the local check (no dpopJkt kept) to see the server's own binding.
    const { dpopJkt: _jkt, ...kept } = request
    await expect(client.handleCallback(callback, kept)).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
    })
  })

  it('device flow: the polled token is DPoP-bound', async () => {
    const client = await publicClient({ dpop: true })
    const key = (await client.dpopKey()) as DPoPKey
    const device = await client.deviceAuthorization({ scope: 'openid read', resource: provider.resource })
    await provider.approveDevice(device.userCode, { sub: 'dana' })
    const tokens = await pollNow(client, device)
    expectBound(tokens, key)
    expect(tokens.claims?.sub).toBe('dana')
  })

  it('password and password-MFA grants carry a proof too (the dev IdP binds them when it can)', async () => {
    const key = await createDpopKey()
    const log = recordingFetch()
    const client = await basicClient({ dpop: key, fetch: log.fetch })
    const tokens = await client.password('alice', 'alice-password', { scope: 'openid' })
    const mfaToken = await client
      .password('mfa-user', 'mfa-password', { scope: 'openid' })
      .catch((error: { mfaToken?: string }) => error.mfaToken)
    expect(mfaToken).toEqual(expect.any(String))
    const mfaTokens = await client.mfaOtpComplete(mfaToken as string, '123456')
    const calls = log.sent.filter((s) => s.url === provider.endpoints.token)
    expect(calls).toHaveLength(3)
    for (const call of calls)
      expect(decodeJwt(call.dpop ?? '')).toMatchObject({ htm: 'POST', htu: provider.endpoints.token })
    // The dev IdP's own grants issue Bearer tokens (accepted: RFC 9449 §5); a DPoP one must be bound.
    for (const set of [tokens, mfaTokens]) {
      if (set.tokenType === 'DPoP') expect(jktOf(set.accessToken)).toBe(key.thumbprint)
      else expect(set.tokenType).toBe('Bearer')
    }
  })

  it('userinfo: sent as DPoP with a proof carrying ath; never downgraded to Bearer', async () => {
    const log = recordingFetch()
    const client = await publicClient({ dpop: true, fetch: log.fetch })
    const request = await client.authorizationUrl({ scope: ['openid', 'email'] })
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    expect(tokens.tokenType).toBe('DPoP')
    const claims = await client.userinfo(tokens, tokens.claims?.sub as string)
    expect(claims).toMatchObject({ sub: 'alice', email: 'alice@example.test' })
    const call = log.sent.find((s) => s.url.startsWith(provider.endpoints.userinfo))
    expect(call?.authorization).toBe(`DPoP ${tokens.accessToken}`)
    expect(decodeJwt(call?.dpop ?? '')).toMatchObject({ htm: 'GET', htu: provider.endpoints.userinfo })
    expect(decodeJwt(call?.dpop ?? '')['ath']).toMatch(/^[\w-]{43}$/)

    // A client without the key refuses to send the DPoP token as Bearer...
    const keyless = await publicClient()
    await expect(keyless.userinfo(tokens, skipSubjectCheck)).rejects.toMatchObject({
      code: 'ERR_DPOP_KEY_REQUIRED',
    })
    // ...and the provider would refuse it anyway (the bare string goes out as Bearer).
    await expect(keyless.userinfo(tokens.accessToken, skipSubjectCheck)).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
    })
  })
})

describe('DPoP nonces required by oidc-provider (use_dpop_nonce)', () => {
  let provider: DevIdp
  beforeAll(async () => {
    provider = await startDevIdp({ dpopRequireNonce: true })
  })
  afterAll(async () => {
    await provider.close()
  })

  it('token endpoint: the 400 use_dpop_nonce is retried once with the nonce, which is then remembered', async () => {
    const log = recordingFetch()
    const key = await createDpopKey()
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.client.clientId,
      clientSecret: provider.client.clientSecret,
      dpop: key,
      fetch: log.fetch,
      tokenCache: false,
    })
    const tokens = await client.clientCredentials({ resource: provider.resource })
    expectBound(tokens, key)
    const calls = log.sent.filter((s) => s.url === provider.endpoints.token)
    expect(calls.map((c) => c.status)).toEqual([400, 200])
    expect(decodeJwt(calls[0]?.dpop ?? '')).not.toHaveProperty('nonce')
    const nonce = decodeJwt(calls[1]?.dpop ?? '')['nonce']
    expect(typeof nonce).toBe('string')
    expect(decodeJwt(calls[1]?.dpop ?? '').jti).not.toBe(decodeJwt(calls[0]?.dpop ?? '').jti)

    // The next request carries the remembered nonce at once: one call.
    await client.clientCredentials({ resource: provider.resource })
    expect(log.sent.filter((s) => s.url === provider.endpoints.token).map((c) => c.status)).toEqual([
      400, 200, 200,
    ])
  })

  it('userinfo (a resource server): the 401 DPoP use_dpop_nonce challenge is retried once', async () => {
    const login = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.public.clientId,
      clientAuthentication: None(),
      redirectUri: provider.clients.public.redirectUri,
      dpop: await createDpopKey({ extractable: true }),
    })
    const request = await login.authorizationUrl({ scope: 'openid' })
    const tokens = await login.handleCallback(await provider.authorize(request.url), request)
    expect(tokens.tokenType).toBe('DPoP')

    // A second client with the same key but no nonce yet: userinfo's own challenge is met.
    const log = recordingFetch()
    const key = (await login.dpopKey()) as DPoPKey
    const fresh = await OAuthClient.discover(provider.issuer, {
      clientId: provider.clients.public.clientId,
      dpop: key,
      fetch: log.fetch,
    })
    await expect(fresh.userinfo(tokens, 'alice')).resolves.toMatchObject({ sub: 'alice' })
    const calls = log.sent.filter((s) => s.url.startsWith(provider.endpoints.userinfo))
    expect(calls.map((c) => c.status)).toEqual([401, 200])
  })
})
