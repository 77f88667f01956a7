import { createHash } from 'node:crypto'
import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type AuthorizationRequest,
  ClientSecretPost,
  None,
  OAuthClient,
  type OAuthClientOptions,
  OAuthExchangeError,
  PrivateKeyJwt,
  type TokenSet,
} from '../src/index.js'
import {
  CLIENT_ID,
  type CodeFlowServer,
  REDIRECT_URI,
  sha256LeftHalf,
  startCodeFlowServer,
} from './helpers/code-flow-server.js'

// The whole code flow against oidc-provider (a certified OpenID Provider) in-process on 127.0.0.1:
// discovery, the authorization URL (plain or PAR), the user's login and consent (idp.authorize),
// the callback and the code exchange with each client authentication method.
const idps: DevIdp[] = []
async function idp(): Promise<DevIdp> {
  const started = await startDevIdp()
  idps.push(started)
  return started
}
afterEach(async () => {
  await Promise.all(idps.splice(0).map((i) => i.close()))
})

type ClientKind = 'public' | 'basic' | 'post' | 'jwt'

function discover(provider: DevIdp, kind: ClientKind, options: Partial<OAuthClientOptions> = {}) {
  const { clients } = provider
  const auth: Record<ClientKind, () => Partial<OAuthClientOptions>> = {
    public: () => ({ clientId: clients.public.clientId, clientAuthentication: None() }),
    basic: () => ({ clientId: clients.basic.clientId, clientSecret: clients.basic.clientSecret }),
    post: () => ({
      clientId: clients.post.clientId,
      clientAuthentication: ClientSecretPost(clients.post.clientSecret),
    }),
    jwt: () => {
      if (clients.jwt.privateJwk === undefined) throw new Error('dev-idp generated no private JWK')
      return { clientId: clients.jwt.clientId, clientAuthentication: PrivateKeyJwt(clients.jwt.privateJwk) }
    },
  }
  return OAuthClient.discover(provider.issuer, {
    clientId: '',
    redirectUri: clients.basic.redirectUri,
    ...auth[kind](),
    ...options,
  })
}

/** Checks the verified claims of a login as alice with the kept nonce, and at_hash when present. */
function expectAliceLogin(
  tokens: TokenSet,
  request: AuthorizationRequest,
  provider: DevIdp,
  clientId: string,
) {
  expect(tokens.tokenType).toBe('Bearer')
  expect(tokens.claims).toMatchObject({
    iss: provider.issuer,
    aud: clientId,
    sub: 'alice',
    nonce: request.nonce,
  })
  // oidc-provider leaves at_hash out of code-flow ID tokens (optional there); when sent it must match.
  expect([undefined, sha256LeftHalf(tokens.accessToken)]).toContain(tokens.claims?.at_hash)
}

describe('authorization code flow against a real OpenID Provider', () => {
  it.each(['public', 'basic', 'post', 'jwt'] as const)('logs in with the %s client', async (kind) => {
    const provider = await idp()
    const client = await discover(provider, kind)
    const request = await client.authorizationUrl({ scope: 'openid email' })
    expect(request.url.origin + request.url.pathname).toBe(provider.endpoints.authorization)
    expect(request.url.searchParams.get('code_challenge_method')).toBe('S256')
    const callback = await provider.authorize(request.url)
    expect(callback.searchParams.get('iss')).toBe(provider.issuer)
    const { url: _url, ...kept } = request
    const tokens = await client.handleCallback(callback, kept)
    expectAliceLogin(tokens, request, provider, client.clientId)
    expect(tokens.claims?.email).toBe('alice@example.test')
  })

  it('sends the request through PAR: the URL carries only client_id and request_uri', async () => {
    const provider = await idp()
    for (const kind of ['basic', 'public'] as const) {
      const client = await discover(provider, kind, { pushedAuthorizationRequests: true })
      const request = await client.authorizationUrl({ loginHint: 'bob' })
      expect([...request.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
      expect(request.url.searchParams.get('client_id')).toBe(client.clientId)
      expect(request.url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
      const tokens = await client.handleCallback(await provider.authorize(request.url), request)
      expect(tokens.claims).toMatchObject({ sub: 'bob', nonce: request.nonce })
    }
  })

  it('reports a refused consent as ERR_AUTHORIZATION_DENIED with access_denied', async () => {
    const provider = await idp()
    const client = await discover(provider, 'basic')
    const request = await client.authorizationUrl()
    const callback = await provider.authorize(request.url, { denyConsent: true })
    await expect(client.handleCallback(callback, request)).rejects.toMatchObject({
      code: 'ERR_AUTHORIZATION_DENIED',
      error: 'access_denied',
    })
  })

  it('gets a refresh token with offline_access, and the refresh keeps the login', async () => {
    const provider = await idp()
    const client = await discover(provider, 'basic')
    const request = await client.authorizationUrl({ scope: ['openid', 'offline_access'], prompt: 'consent' })
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    expect(typeof tokens.refreshToken).toBe('string')
    expect(tokens.scope?.split(' ').sort()).toEqual(['offline_access', 'openid'])
    const refreshed = await client.refresh(tokens)
    expect(refreshed.claims).toMatchObject({ sub: 'alice', aud: client.clientId })
    expect(refreshed.refreshToken).not.toBe(tokens.refreshToken)
  })

  it('checks auth_time against max_age', async () => {
    const provider = await idp()
    const client = await discover(provider, 'basic')
    const request = await client.authorizationUrl({ maxAge: 300 })
    expect(request.url.searchParams.get('max_age')).toBe('300')
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    expect(tokens.claims?.auth_time).toBeGreaterThan(Date.now() / 1000 - 60)
  })

  it('takes a Web Request as the callback, and refuses to exchange the same code twice', async () => {
    const provider = await idp()
    const client = await discover(provider, 'basic')
    const request = await client.authorizationUrl()
    const callback = await provider.authorize(request.url)
    const tokens = await client.handleCallback(new Request(callback), request)
    expectAliceLogin(tokens, request, provider, client.clientId)
    const replay = await client.handleCallback(callback, request).catch((e: unknown) => e)
    expect(replay).toBeInstanceOf(OAuthExchangeError)
    expect(replay).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_grant' })
  })

  it("refuses another login's callback (the state and PKCE of one request are not another's)", async () => {
    const provider = await idp()
    const client = await discover(provider, 'public')
    const mine = await client.authorizationUrl()
    const theirs = await client.authorizationUrl()
    const theirCallback = await provider.authorize(theirs.url)
    await expect(client.handleCallback(theirCallback, mine)).rejects.toMatchObject({
      code: 'ERR_STATE_MISMATCH',
    })
    // Even with the state copied over, the code is bound to the other request's PKCE challenge.
    await expect(
      client.handleCallback(theirCallback, { ...mine, state: theirs.state }),
    ).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
    })
  })

  it('builds the end-session URL from discovery, which the provider accepts', async () => {
    const provider = await idp()
    const client = await discover(provider, 'basic')
    const request = await client.authorizationUrl()
    const tokens = await client.handleCallback(await provider.authorize(request.url), request)
    const url = client.endSessionUrl({
      idTokenHint: tokens.idToken,
      postLogoutRedirectUri: provider.client.postLogoutRedirectUri,
      state: 'logout-state',
    })
    expect(url.origin + url.pathname).toBe(provider.endpoints.endSession)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      id_token_hint: tokens.idToken,
      post_logout_redirect_uri: provider.client.postLogoutRedirectUri,
      state: 'logout-state',
      client_id: provider.client.clientId,
    })
    // oidc-provider renders its logout confirmation only for a valid request (errors are JSON here).
    const page = await fetch(url, { redirect: 'manual' })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
  })
})

describe('authorizationUrl and endSessionUrl, offline', () => {
  const servers: CodeFlowServer[] = []
  async function server() {
    const started = await startCodeFlowServer()
    servers.push(started)
    return started
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  it('sends every protocol parameter, with a fresh state, nonce and S256 challenge', async () => {
    const client = (await server()).client()
    const request = await client.authorizationUrl({
      scope: ['openid', 'email'],
      prompt: 'login',
      loginHint: 'alice@example.test',
      maxAge: 0,
      resource: ['https://b.example.test', 'https://a.example.test'],
      extraParams: { ui_locales: 'fr', response_mode: 'form_post' },
    })
    const query = request.url.searchParams
    expect(query.getAll('resource')).toEqual(['https://a.example.test', 'https://b.example.test'])
    query.delete('resource')
    expect(Object.fromEntries(query)).toEqual({
      ui_locales: 'fr',
      response_mode: 'form_post',
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid email',
      state: request.state,
      nonce: request.nonce,
      code_challenge: createHash('sha256')
        .update(request.codeVerifier ?? '')
        .digest('base64url'),
      code_challenge_method: 'S256',
      prompt: 'login',
      login_hint: 'alice@example.test',
      max_age: '0',
    })
    for (const value of [request.state, request.nonce, request.codeVerifier])
      expect(value).toMatch(/^[\w-]{43}$/)
    expect(request).toMatchObject({ redirectUri: REDIRECT_URI, maxAge: 0 })
    const again = await client.authorizationUrl()
    expect(again.state).not.toBe(request.state)
    expect(again.url.searchParams.get('scope')).toBe('openid')
  })

  it('sends no nonce without openid, and no PKCE when a confidential client turns it off', async () => {
    const request = await (await server()).client().authorizationUrl({ scope: 'read', pkce: false })
    expect([...request.url.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
    ])
    expect(request.nonce).toBeUndefined()
    expect(request.codeVerifier).toBeUndefined()
  })

  it('refuses unusable options', async () => {
    const as = await server()
    const invalid = { code: 'ERR_INVALID_OPTION' }
    for (const name of [
      'state',
      'nonce',
      'code_challenge',
      'redirect_uri',
      'scope',
      'request_uri',
      'resource',
    ]) {
      await expect(as.client().authorizationUrl({ extraParams: { [name]: 'x' } })).rejects.toMatchObject(
        invalid,
      )
    }
    const fragment = { extraParams: { response_mode: 'fragment' } }
    await expect(as.client().authorizationUrl(fragment)).rejects.toMatchObject(invalid)
    await expect(as.client({ redirectUri: undefined }).authorizationUrl()).rejects.toMatchObject(invalid)
    await expect(
      as.client().authorizationUrl({ redirectUri: 'https://app.test/cb#x' }),
    ).rejects.toMatchObject(invalid)
    await expect(as.client().authorizationUrl({ maxAge: -1 })).rejects.toMatchObject(invalid)
    await expect(as.client().authorizationUrl({ resource: 'api' })).rejects.toMatchObject(invalid)
    const publicClient = as.client({ clientSecret: undefined, clientAuthentication: None() })
    await expect(publicClient.authorizationUrl({ pkce: false })).rejects.toMatchObject(invalid)
    const { authorization_endpoint: _a, end_session_endpoint: _e, ...bare } = as.metadata
    const client = as.client({ metadata: bare })
    await expect(client.authorizationUrl()).rejects.toMatchObject({ code: 'ERR_ENDPOINT_UNSUPPORTED' })
    expect(() => client.endSessionUrl()).toThrow(
      expect.objectContaining({ code: 'ERR_ENDPOINT_UNSUPPORTED' }),
    )
  })
})
