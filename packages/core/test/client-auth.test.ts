import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JWK, jwtVerify } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type ClientAuthentication,
  ClientSecretBasic,
  ClientSecretPost,
  None,
  OAuthClient,
  PrivateKeyJwt,
} from '../src/index.js'
import { callEndpoint } from '../src/oauth/back-channel.js'
import { type FaultServer, startFaultServer } from './helpers/fault-server.js'

const ISSUER = 'https://as.example.test'

interface Seen {
  authorization: string | undefined
  form: Record<string, string>
}

let server: FaultServer
let seen: Seen[]
beforeEach(async () => {
  server = await startFaultServer()
  seen = []
  // Records each request; decodes HTTP Basic the way RFC 6749 §2.3.1 says a server must.
  server.route('/token', (req, res) => {
    let text = ''
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    req.on('end', () => {
      seen.push({
        authorization: req.headers.authorization,
        form: Object.fromEntries(new URLSearchParams(text)),
      })
      let decoded: Record<string, string> = {}
      const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
      if (basic?.[1]) {
        const pair = Buffer.from(basic[1], 'base64').toString('utf8')
        const [id = '', secret = ''] = pair.split(':')
        const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '))
        decoded = { id: formDecode(id), secret: formDecode(secret), pair }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(decoded))
    })
  })
})
afterEach(() => server.close())

function call(auth: ClientAuthentication, clientId = 'client-1') {
  return callEndpoint(
    { metadata: { issuer: ISSUER }, clientId, auth, http: {}, requestFormat: 'form' },
    { url: server.url('/token'), what: 'The token endpoint', params: { grant_type: 'client_credentials' } },
  )
}

describe('ClientSecretBasic', () => {
  it('form-encodes the id and secret before Base64 (RFC 6749 §2.3.1), and the server decodes them', async () => {
    const decoded = await call(ClientSecretBasic('p@ss wörd:%+/'), 'my client:1')
    expect(decoded).toEqual({
      id: 'my client:1',
      secret: 'p@ss wörd:%+/',
      pair: 'my+client%3A1:p%40ss+w%C3%B6rd%3A%25%2B%2F',
    })
    expect(seen[0]?.form).toEqual({ grant_type: 'client_credentials' })
  })

  it('refuses an empty secret', () => {
    expect(() => ClientSecretBasic('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
  })
})

describe('ClientSecretPost and None', () => {
  it('ClientSecretPost puts both in the body and sends no Authorization header', async () => {
    await call(ClientSecretPost('s3cret'))
    expect(seen[0]).toEqual({
      authorization: undefined,
      form: { grant_type: 'client_credentials', client_id: 'client-1', client_secret: 's3cret' },
    })
  })

  it('None sends only the client_id', async () => {
    await call(None())
    expect(seen[0]).toEqual({
      authorization: undefined,
      form: { grant_type: 'client_credentials', client_id: 'client-1' },
    })
  })
})

describe('PrivateKeyJwt', () => {
  async function keyPair(alg: string) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    return { privateKey, publicKey, privateJwk: { ...(await exportJWK(privateKey)), kid: 'client-key-1' } }
  }

  it('signs a fresh assertion for each request: iss = sub = client, aud = issuer, exp - iat = lifetime', async () => {
    const { publicKey, privateJwk } = await keyPair('ES256')
    const auth = PrivateKeyJwt(privateJwk, { lifetime: 120 })
    expect(auth.method).toBe('private_key_jwt')
    await call(auth)
    await call(auth)
    const jtis = new Set<unknown>()
    for (const { form, authorization } of seen) {
      expect(authorization).toBeUndefined()
      expect(form['client_id']).toBe('client-1')
      expect(form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      const assertion = form['client_assertion'] as string
      expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES256', kid: 'client-key-1' })
      const { payload } = await jwtVerify(assertion, publicKey, { issuer: 'client-1', audience: ISSUER })
      expect(payload.sub).toBe('client-1')
      expect((payload.exp as number) - (payload.iat as number)).toBe(120)
      expect(payload.jti).toMatch(/^[\w-]{16,}$/)
      jtis.add(payload.jti)
    }
    expect(jtis.size).toBe(2)
  })

  it('accepts a private CryptoKey and infers its algorithm', async () => {
    const { privateKey, publicKey } = await keyPair('PS384')
    await call(PrivateKeyJwt(privateKey))
    const assertion = seen[0]?.form['client_assertion'] as string
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'PS384' })
    const { payload } = await jwtVerify(assertion, publicKey, { issuer: 'client-1', audience: ISSUER })
    expect((payload.exp as number) - (payload.iat as number)).toBe(60)
  })

  it('refuses a public key, a symmetric key and algorithms it cannot sign with', async () => {
    const { privateJwk, publicKey } = await keyPair('ES256')
    const { d: _d, ...publicJwk } = privateJwk
    const refused: [JWK | CryptoKey, { alg?: string; lifetime?: number }][] = [
      [publicJwk, {}],
      [publicKey, {}],
      [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' }, {}],
      [{ kty: 'oct', k: 'c2VjcmV0', d: 'x' }, { alg: 'HS256' }],
      [privateJwk, { alg: 'HS256' }],
      [privateJwk, { alg: 'none' }],
      [privateJwk, { alg: 'XX512' }],
      [{ ...privateJwk, crv: 'secp256k1' }, {}],
      [privateJwk, { lifetime: 0 }],
      [privateJwk, { lifetime: 3600 }],
    ]
    for (const [key, options] of refused) {
      expect(() => PrivateKeyJwt(key, options)).toThrow(
        expect.objectContaining({ name: 'ConfigurationError', code: 'ERR_INVALID_OPTION' }),
      )
    }
  })
})

describe('each strategy against a real authorization server', () => {
  let provider: DevIdp
  beforeEach(async () => {
    provider = await startDevIdp()
  })
  afterEach(() => provider.close())

  it('authenticates each dev client at the introspection endpoint, and not with wrong credentials', async () => {
    const { accessToken } = await provider.getIdToken({ sub: 'erin' })
    const { basic, post, jwt } = provider.clients
    const strategies: [string, ClientAuthentication][] = [
      [basic.clientId, ClientSecretBasic(basic.clientSecret)],
      [post.clientId, ClientSecretPost(post.clientSecret)],
      [jwt.clientId, PrivateKeyJwt(jwt.privateJwk as JWK)],
    ]
    for (const [clientId, clientAuthentication] of strategies) {
      const client = await OAuthClient.discover(provider.issuer, { clientId, clientAuthentication })
      await expect(client.introspect(accessToken)).resolves.toMatchObject({ active: true, sub: 'erin' })
    }
    const strangerKey = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey)
    const refused: [string, ClientAuthentication][] = [
      [post.clientId, ClientSecretPost('not-the-secret')],
      [jwt.clientId, PrivateKeyJwt(strangerKey)],
      [basic.clientId, None()],
    ]
    for (const [clientId, clientAuthentication] of refused) {
      const client = await OAuthClient.discover(provider.issuer, { clientId, clientAuthentication })
      await expect(client.introspect(accessToken)).rejects.toMatchObject({
        code: 'ERR_OAUTH_EXCHANGE',
        error: 'invalid_client',
      })
    }
  })
})
