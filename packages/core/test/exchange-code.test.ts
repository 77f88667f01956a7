import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DevIdp } from '@org/dev-idp'
import { makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { exportJWK, exportSPKI, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type ClientAuthentication,
  ClientSecretPost,
  createPkcePair,
  type ExchangeCodeOptions,
  exchangeCodeForClaims,
  InvalidPublicKeyError,
  JWTVerificationError,
  OAuthExchangeError,
  PrivateKeyJwt,
} from '../src/index.js'
import { publicKeyFromFile } from '../src/node.js'
import { devIdps } from './helpers/dev-idps.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

// Codes come from oidc-provider, driven through login and consent by the dev IdP's user driver.
const idp = devIdps()

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exchange-code-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A hand-built authorization request with PKCE, played through the IdP; returns the code and verifier. */
async function authorize(
  provider: DevIdp,
  request: { clientId?: string; sub?: string; nonce?: string } = {},
) {
  const pkce = await createPkcePair()
  const url = new URL(provider.endpoints.authorization)
  url.search = new URLSearchParams({
    client_id: request.clientId ?? provider.client.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: provider.client.redirectUri,
    state: 'state-1',
    code_challenge: pkce.codeChallenge,
    code_challenge_method: pkce.codeChallengeMethod,
    ...(request.nonce ? { nonce: request.nonce } : {}),
  }).toString()
  const callback = await provider.authorize(url, { sub: request.sub ?? 'bob' })
  const code = callback.searchParams.get('code')
  expect(code).toMatch(/^[\w-]{20,}$/)
  return { code: code as string, codeVerifier: pkce.codeVerifier }
}

/** The options every exchange with the basic dev client shares. */
function basic(provider: DevIdp, grant: { code: string; codeVerifier: string }) {
  return {
    ...grant,
    tokenUrl: provider.endpoints.token,
    clientId: provider.client.clientId,
    clientSecret: provider.client.clientSecret,
    redirectUri: provider.client.redirectUri,
  }
}

describe('exchangeCodeForClaims against a real OpenID Provider', () => {
  it('returns the verified claims with a JWKS URL, and fetches the JWKS once for two exchanges', async () => {
    const provider = await idp()
    for (const sub of ['bob', 'carol']) {
      const claims = await exchangeCodeForClaims({
        ...basic(provider, await authorize(provider, { sub })),
        publicKey: provider.jwksUri,
      })
      expect(claims).toMatchObject({
        sub,
        email: `${sub}@example.test`,
        iss: provider.issuer,
        aud: provider.client.clientId,
      })
    }
    expect(provider.jwksRequests).toBe(1)
  })

  it('accepts the JWKS as an object, a single JWK, a PEM and a key file', async () => {
    const provider = await idp()
    // ID tokens are RS256: the provider's RSA key alone verifies them.
    const jwk = provider.publicJwks().keys.find((key) => key['kty'] === 'RSA') as JWK
    expect(jwk.kid).toMatch(/.+/)
    const pem = await exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as CryptoKey)
    const file = join(dir, 'issuer.pem')
    writeFileSync(file, pem)
    const keys = [provider.publicJwks(), jwk, JSON.stringify(jwk), pem, publicKeyFromFile(file)]
    for (const publicKey of keys) {
      const claims = await exchangeCodeForClaims({
        ...basic(provider, await authorize(provider)),
        publicKey: publicKey as JWK,
        issuer: provider.issuer,
      })
      expect(claims).toMatchObject({ sub: 'bob', email: 'bob@example.test' })
    }
    expect(provider.jwksRequests).toBe(0)
  })

  it('refuses a reused code with invalid_grant', async () => {
    const provider = await idp()
    const options = { ...basic(provider, await authorize(provider)), publicKey: provider.publicJwks() }
    await expect(exchangeCodeForClaims(options)).resolves.toMatchObject({ sub: 'bob' })
    const error = await exchangeCodeForClaims(options).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthExchangeError)
    expect(error).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_grant', status: 400 })
    expect(JSON.stringify(error)).not.toContain(options.code)
  })

  it('refuses a wrong PKCE verifier with invalid_grant', async () => {
    const provider = await idp()
    const grant = await authorize(provider)
    const wrong = (await createPkcePair()).codeVerifier
    await expect(
      exchangeCodeForClaims({
        ...basic(provider, { ...grant, codeVerifier: wrong }),
        publicKey: provider.publicJwks(),
      }),
    ).rejects.toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_grant' })
  })

  it('refuses a malformed PEM before any request', async () => {
    const provider = await idp()
    const fetchSpy = vi.fn(globalThis.fetch)
    const grant = await authorize(provider)
    const error = await exchangeCodeForClaims({
      ...basic(provider, grant),
      publicKey: '-----BEGIN PUBLIC KEY-----\nnot-base64!!\n-----END PUBLIC KEY-----',
      fetch: fetchSpy,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidPublicKeyError)
    expect(error).toMatchObject({ code: 'ERR_INVALID_PUBLIC_KEY' })
    expect(fetchSpy).not.toHaveBeenCalled()
    // The code was not spent: the right key still exchanges it.
    await expect(
      exchangeCodeForClaims({ ...basic(provider, grant), publicKey: provider.publicJwks() }),
    ).resolves.toMatchObject({ sub: 'bob' })
  })

  it('exchanges for a public client (PKCE only), a client_secret_post client and a private_key_jwt client', async () => {
    const provider = await idp()
    const { public: pub, post, jwt } = provider.clients
    const jwtAuth = PrivateKeyJwt(jwt.privateJwk as JWK)
    // With the issuer, a client assertion's audience is the issuer; without it, the token endpoint URL.
    const cases: [string, ClientAuthentication | undefined, string | undefined][] = [
      [pub.clientId, undefined, undefined],
      [post.clientId, ClientSecretPost(post.clientSecret), undefined],
      [jwt.clientId, jwtAuth, provider.issuer],
      [jwt.clientId, jwtAuth, undefined],
    ]
    for (const [clientId, clientAuthentication, issuer] of cases) {
      const claims = await exchangeCodeForClaims({
        ...(await authorize(provider, { clientId })),
        tokenUrl: provider.endpoints.token,
        redirectUri: pub.redirectUri,
        clientId,
        publicKey: provider.publicJwks(),
        ...(clientAuthentication ? { clientAuthentication } : {}),
        ...(issuer ? { issuer } : {}),
      })
      expect(claims).toMatchObject({ sub: 'bob', aud: clientId })
    }
  })

  it('checks nonce, issuer and audience', async () => {
    const provider = await idp()
    const publicKey = provider.publicJwks()
    const withNonce = await authorize(provider, { nonce: 'nonce-1' })
    await expect(
      exchangeCodeForClaims({ ...basic(provider, withNonce), publicKey, nonce: 'nonce-2' }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_NONCE_MISMATCH', claim: 'nonce' })
    const rightNonce = await authorize(provider, { nonce: 'nonce-3' })
    await expect(
      exchangeCodeForClaims({ ...basic(provider, rightNonce), publicKey, nonce: 'nonce-3' }),
    ).resolves.toMatchObject({ nonce: 'nonce-3' })
    const other = await authorize(provider)
    await expect(
      exchangeCodeForClaims({ ...basic(provider, other), publicKey, issuer: `${provider.issuer}/` }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_ISSUER_INVALID' })
    const third = await authorize(provider)
    await expect(
      exchangeCodeForClaims({ ...basic(provider, third), publicKey, audience: 'another-app' }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_AUDIENCE_INVALID' })
  })
})

describe('exchangeCodeForClaims: issuer, keys and options', () => {
  const servers: FaultServer[] = []
  let server: FaultServer
  let key: TestKey
  beforeAll(async () => {
    key = await makeKey('ES256')
  })
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })

  /** A token endpoint answering an ID token with these claims (given its base URL), signed by `key`. */
  async function tokenEndpoint(claims: (base: string) => Record<string, unknown>) {
    server = await startFaultServer()
    servers.push(server)
    const now = nowSeconds()
    const payload = { sub: 'bob', aud: 'client-1', iat: now, exp: now + 60, ...claims(server.base) }
    const idToken = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .sign(key.privateKey)
    server.json('/oauth/token', { access_token: 'at-1', token_type: 'Bearer', id_token: idToken })
    server.json('/jwks', { keys: [key.publicJwk] })
  }
  const fixedIssuer = () => ({ iss: 'https://issuer.example' })
  const options = (extra: Partial<ExchangeCodeOptions> = {}): ExchangeCodeOptions => ({
    code: 'code-1',
    tokenUrl: server.url('/oauth/token'),
    clientId: 'client-1',
    publicKey: key.publicJwk,
    ...extra,
  })

  it("rejects every failure with one of the seed's three classes (a token endpoint answering HTML, 500, no ID token, keys down)", async () => {
    const seedClasses = (error: unknown) =>
      error instanceof OAuthExchangeError ||
      error instanceof JWTVerificationError ||
      error instanceof InvalidPublicKeyError
    const failures: Array<[string, () => void, () => ExchangeCodeOptions, Record<string, unknown>]> = [
      [
        'HTML',
        () =>
          server.route('/oauth/token', (_req, res) => {
            res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
          }),
        () => options({ issuer: 'https://issuer.example' }),
        { error: 'invalid_response', status: 502 },
      ],
      [
        '500',
        () => server.json('/oauth/token', { message: 'boom' }, 500),
        () => options({ issuer: 'https://issuer.example' }),
        { error: 'invalid_response', status: 502 },
      ],
      [
        'no ID token',
        () => server.json('/oauth/token', { access_token: 'at-1', token_type: 'Bearer' }),
        () => options({ issuer: 'https://issuer.example' }),
        { code: 'ERR_ID_TOKEN_MISSING', error: 'invalid_response' },
      ],
      [
        'keys down',
        () => server.json('/jwks', { error: 'down' }, 503),
        () => options({ issuer: 'https://issuer.example', publicKey: server.url('/jwks') }),
        { code: 'ERR_INVALID_PUBLIC_KEY' },
      ],
    ]
    for (const [label, arrange, exchangeOptions, expected] of failures) {
      await tokenEndpoint(fixedIssuer)
      arrange()
      const error = await exchangeCodeForClaims(exchangeOptions()).catch((caught: unknown) => caught)
      expect(seedClasses(error), `${label}: ${(error as Error).name}`).toBe(true)
      expect(error, label).toMatchObject(expected)
      expect((error as Error).cause, label).toBeDefined()
    }
  })

  it('accepts an iss on the token endpoint origin when no issuer is given, and refuses any other', async () => {
    for (const iss of [(base: string) => base, (base: string) => `${base}/tenant-a`]) {
      await tokenEndpoint((base) => ({ iss: iss(base) }))
      await expect(exchangeCodeForClaims(options())).resolves.toMatchObject({ iss: iss(server.base) })
    }
    const foreign = [
      () => 'https://evil.example',
      (base: string) => base.replace('127.0.0.1', '127.0.0.2'),
      (base: string) => `${base}?tenant=a`,
      () => 42,
      () => undefined,
    ]
    for (const iss of foreign) {
      await tokenEndpoint((base) => ({ iss: iss(base) }))
      const error = await exchangeCodeForClaims(options()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(JWTVerificationError)
      expect(error).toMatchObject({ code: 'ERR_JWT_ISSUER_INVALID', claim: 'iss' })
      expect((error as Error).message).toContain('pass "issuer"')
    }
    await tokenEndpoint(() => ({ iss: 'https://evil.example' }))
    await expect(exchangeCodeForClaims(options({ issuer: 'https://evil.example' }))).resolves.toMatchObject({
      iss: 'https://evil.example',
    })
  })

  it('refuses unusable keys before any request', async () => {
    await tokenEndpoint(fixedIssuer)
    const privateJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)
    const refused: [unknown, RegExp][] = [
      ['/etc/keys/issuer.pem', /publicKeyFromFile/],
      ['http://keys.example.com/jwks', /https/],
      ['{"kty":', /does not parse/],
      [{ keys: [] }, /no key usable/],
      [privateJwk, /cannot be used/],
      [{ kty: 'oct', k: 'c2VjcmV0' }, /cannot be used/],
      [undefined, /required/],
    ]
    for (const [publicKey, message] of refused) {
      const error = await exchangeCodeForClaims(options({ publicKey: publicKey as JWK })).catch((e) => e)
      expect(error).toBeInstanceOf(InvalidPublicKeyError)
      expect(error).toMatchObject({ code: 'ERR_INVALID_PUBLIC_KEY' })
      expect((error as Error).message).toMatch(message)
    }
    expect(server.hits('/oauth/token')).toBe(0)
  })

  it('refuses bad options before any request', async () => {
    await tokenEndpoint(fixedIssuer)
    const bad: Partial<ExchangeCodeOptions>[] = [
      { code: '' },
      { clientId: undefined as unknown as string },
      { leeway: 601 },
      { algorithms: ['HS256' as 'RS256'] },
      { clientSecret: 's', clientAuthentication: ClientSecretPost('s') },
      { tokenUrl: 'http://idp.example.com/token' },
      { clientSecret: '' },
      { scope: 'openid' } as Partial<ExchangeCodeOptions>,
    ]
    for (const extra of bad) {
      await expect(exchangeCodeForClaims(options(extra))).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      })
    }
    expect(server.hits('/oauth/token')).toBe(0)
  })

  it('shares fetched keys between calls with the same JWKS URL and fetch, not across fetch functions', async () => {
    await tokenEndpoint(fixedIssuer)
    const first = vi.fn(globalThis.fetch)
    const second = vi.fn(globalThis.fetch)
    const jwks = server.url('/jwks')
    for (const fetch of [first, first, second]) {
      const claims = await exchangeCodeForClaims(
        options({ publicKey: jwks, issuer: 'https://issuer.example', fetch }),
      )
      expect(claims.sub).toBe('bob')
    }
    expect(server.hits('/jwks')).toBe(2)
    expect(server.hits('/oauth/token')).toBe(3)
  })
})
