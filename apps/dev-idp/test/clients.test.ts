import { createHash, randomBytes } from 'node:crypto'
import { createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEV_CLIENT,
  DEV_JWT_CLIENT,
  DEV_POST_CLIENT,
  DEV_PUBLIC_CLIENT,
  type DevIdp,
  startDevIdp,
} from '../src/index.js'
import { basic, getJson, postForm, str } from './http.js'

const CALLBACK = 'http://127.0.0.1:8765/callback'

function authorizationUrl(idp: DevIdp, params: Record<string, string>): URL {
  const url = new URL(idp.endpoints.authorization)
  for (const [name, value] of Object.entries({ response_type: 'code', redirect_uri: CALLBACK, ...params }))
    url.searchParams.set(name, value)
  return url
}

async function clientAssertion(idp: DevIdp, privateJwk: JWK): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid })
    .setIssuer(DEV_JWT_CLIENT.clientId)
    .setSubject(DEV_JWT_CLIENT.clientId)
    .setAudience(idp.issuer)
    .setJti(randomBytes(16).toString('hex'))
    .setIssuedAt()
    .setExpirationTime('1m')
    .sign(await importJWK(privateJwk, 'ES256'))
}

const JWT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

describe('dev-idp clients, discovery and authorize()', () => {
  let idp: DevIdp
  const basicAuth = { authorization: basic(DEV_CLIENT.clientId, DEV_CLIENT.clientSecret) }

  beforeAll(async () => {
    idp = await startDevIdp()
  })

  afterAll(async () => {
    await idp.close()
  })

  it('publishes device, PAR, logout and RFC 9207 iss support in discovery', async () => {
    const { body } = await getJson(`${idp.issuer}/.well-known/openid-configuration`)
    expect(body['authorization_response_iss_parameter_supported']).toBe(true)
    expect(body['end_session_endpoint']).toBe(`${idp.issuer}/session/end`)
    expect(body['device_authorization_endpoint']).toBe(`${idp.issuer}/device/auth`)
    expect(body['pushed_authorization_request_endpoint']).toBe(`${idp.issuer}/request`)
    expect(body['grant_types_supported']).toEqual(
      expect.arrayContaining([
        'urn:ietf:params:oauth:grant-type:device_code',
        'password',
        'http://auth0.com/oauth/grant-type/mfa-otp',
        'http://auth0.com/oauth/grant-type/mfa-oob',
      ]),
    )
    expect(idp.endpoints.endSession).toBe(body['end_session_endpoint'])
    expect(idp.endpoints.mfaChallenge).toBe(`${idp.issuer}/mfa/challenge`)
  })

  it('exposes the four clients with fixed ids', () => {
    expect(idp.client).toEqual({ ...DEV_CLIENT })
    expect(idp.clients.basic.postLogoutRedirectUri).toBe('http://127.0.0.1/logged-out')
    expect(idp.clients.post).toMatchObject({
      ...DEV_POST_CLIENT,
      tokenEndpointAuthMethod: 'client_secret_post',
    })
    expect(idp.clients.public).toMatchObject({ ...DEV_PUBLIC_CLIENT, tokenEndpointAuthMethod: 'none' })
    expect(idp.clients.jwt.clientId).toBe('dev-jwt-client')
    expect(idp.clients.jwt.privateJwk?.['d']).toBeTypeOf('string')
    expect(idp.clients.jwt.publicJwks.keys[0]?.['d']).toBeUndefined()
  })

  it('authorize() returns the callback with code, state and iss; the code redeems for sub', async () => {
    const callback = await idp.authorize(
      authorizationUrl(idp, { client_id: DEV_CLIENT.clientId, scope: 'openid', state: 'st-1', nonce: 'n-1' }),
      { sub: 'bob' },
    )
    expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK)
    expect(callback.searchParams.get('state')).toBe('st-1')
    expect(callback.searchParams.get('iss')).toBe(idp.issuer)
    const code = callback.searchParams.get('code') ?? ''
    const { status, body } = await postForm(
      idp.endpoints.token,
      { grant_type: 'authorization_code', code, redirect_uri: CALLBACK },
      basicAuth,
    )
    expect(status).toBe(200)
    const id = await jwtVerify(str(body, 'id_token'), createRemoteJWKSet(new URL(idp.jwksUri)), {
      audience: DEV_CLIENT.clientId,
    })
    expect(id.payload.sub).toBe('bob')
    expect(id.payload['nonce']).toBe('n-1')
  })

  it('authorize() with denyConsent returns error=access_denied', async () => {
    const callback = await idp.authorize(
      authorizationUrl(idp, { client_id: DEV_CLIENT.clientId, scope: 'openid', state: 'st-2' }),
      { denyConsent: true },
    )
    expect(callback.searchParams.get('error')).toBe('access_denied')
    expect(callback.searchParams.get('state')).toBe('st-2')
    expect(callback.searchParams.get('iss')).toBe(idp.issuer)
    expect(callback.searchParams.get('code')).toBeNull()
  })

  it('accepts a pushed authorization request and authorizes its request_uri', async () => {
    const pushed = await postForm(
      idp.endpoints.pushedAuthorizationRequest,
      {
        client_id: DEV_CLIENT.clientId,
        response_type: 'code',
        redirect_uri: CALLBACK,
        scope: 'openid',
        state: 'st-par',
      },
      basicAuth,
    )
    expect(pushed.status).toBe(201)
    expect(pushed.body['expires_in']).toBe(60)
    const requestUri = str(pushed.body, 'request_uri')
    expect(requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const callback = await idp.authorize(
      authorizationUrl(idp, { client_id: DEV_CLIENT.clientId, request_uri: requestUri }),
    )
    expect(callback.searchParams.get('state')).toBe('st-par')
    expect(callback.searchParams.get('code')).toMatch(/^[\w-]{20,}$/)
  })

  it('requires PKCE from the public client and issues refresh tokens that rotate', async () => {
    const clientId = DEV_PUBLIC_CLIENT.clientId
    const noPkce = await idp.authorize(
      authorizationUrl(idp, { client_id: clientId, scope: 'openid', state: 's' }),
    )
    expect(noPkce.searchParams.get('error')).toBe('invalid_request')
    expect(noPkce.searchParams.get('error_description')).toBe(
      'Authorization Server policy requires PKCE to be used for this request',
    )

    const verifier = randomBytes(32).toString('base64url')
    const callback = await idp.authorize(
      authorizationUrl(idp, {
        client_id: clientId,
        scope: 'openid offline_access',
        prompt: 'consent',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }),
    )
    const tokens = await postForm(idp.endpoints.token, {
      client_id: clientId,
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: CALLBACK,
      code_verifier: verifier,
    })
    expect(tokens.status).toBe(200)
    const refreshToken = str(tokens.body, 'refresh_token')
    const refreshed = await postForm(idp.endpoints.token, {
      client_id: clientId,
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    })
    expect(refreshed.status).toBe(200)
    expect(str(refreshed.body, 'refresh_token')).not.toBe(refreshToken)
  })

  it('authenticates dev-post-client with client_secret_post', async () => {
    const form = { grant_type: 'client_credentials', scope: 'read', client_id: DEV_POST_CLIENT.clientId }
    const post = await postForm(idp.endpoints.token, { ...form, client_secret: DEV_POST_CLIENT.clientSecret })
    expect(post.status).toBe(200)
    const { payload } = await jwtVerify(
      str(post.body, 'access_token'),
      createRemoteJWKSet(new URL(idp.jwksUri)),
      {
        audience: idp.resource,
      },
    )
    expect(payload['client_id']).toBe('dev-post-client')
    expect(payload['scope']).toBe('read')
    const wrong = await postForm(idp.endpoints.token, { ...form, client_secret: 'wrong' })
    expect(wrong.status).toBe(401)
    expect(wrong.body['error']).toBe('invalid_client')
    // oidc-provider 9 treats client_secret_basic and client_secret_post as interchangeable.
    const viaBasic = await postForm(idp.endpoints.token, form, {
      authorization: basic(DEV_POST_CLIENT.clientId, DEV_POST_CLIENT.clientSecret),
    })
    expect(viaBasic.status).toBe(200)
  })

  it('accepts a private_key_jwt client assertion signed with clients.jwt.privateJwk', async () => {
    const privateJwk = idp.clients.jwt.privateJwk
    if (!privateJwk) throw new Error('expected a generated key')
    const { status, body } = await postForm(idp.endpoints.token, {
      grant_type: 'client_credentials',
      scope: 'write',
      client_id: DEV_JWT_CLIENT.clientId,
      client_assertion_type: JWT_ASSERTION_TYPE,
      client_assertion: await clientAssertion(idp, privateJwk),
    })
    expect(status).toBe(200)
    const { payload } = await jwtVerify(str(body, 'access_token'), createRemoteJWKSet(new URL(idp.jwksUri)), {
      audience: idp.resource,
    })
    expect(payload['client_id']).toBe('dev-jwt-client')
    expect(payload['scope']).toBe('write')
  })
})

describe('dev-idp privateKeyJwtClientJwks option', () => {
  it('registers the given public keys and exposes no private key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256' }
    const idp = await startDevIdp({ privateKeyJwtClientJwks: { keys: [publicJwk] } })
    try {
      expect(idp.clients.jwt.privateJwk).toBeUndefined()
      expect(idp.clients.jwt.publicJwks).toEqual({ keys: [publicJwk] })
      const privateJwk = { ...(await exportJWK(privateKey)), kid: 'test-key' }
      const form = { grant_type: 'client_credentials', client_id: DEV_JWT_CLIENT.clientId }
      const ok = await postForm(idp.endpoints.token, {
        ...form,
        client_assertion_type: JWT_ASSERTION_TYPE,
        client_assertion: await clientAssertion(idp, privateJwk),
      })
      expect(ok.status).toBe(200)
      const other = (await exportJWK(
        (
          await generateKeyPair('ES256', { extractable: true })
        ).privateKey,
      )) as JWK
      const wrongKey = await postForm(idp.endpoints.token, {
        ...form,
        client_assertion_type: JWT_ASSERTION_TYPE,
        client_assertion: await clientAssertion(idp, { ...other, kid: 'test-key' }),
      })
      expect(wrongKey.status).toBe(401)
      expect(wrongKey.body['error']).toBe('invalid_client')
    } finally {
      await idp.close()
    }
  })
})
