import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevIdp, startDevIdp } from '../src/index.js'

describe('dev-idp', () => {
  let idp: DevIdp

  beforeAll(async () => {
    idp = await startDevIdp()
  })

  afterAll(async () => {
    await idp.close()
  })

  it('binds to 127.0.0.1 and publishes discovery with the JWKS URI', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(idp.jwksUri).toBe(`${idp.issuer}/jwks`)
    expect(idp.resource).toBe('https://api.example.test')
    const discovery = (await (
      await fetch(`${idp.issuer}/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>
    expect(discovery['issuer']).toBe(idp.issuer)
    expect(discovery['jwks_uri']).toBe(idp.jwksUri)
    expect(discovery['grant_types_supported']).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    )
  })

  it('publishes one RS256 and one ES256 public key', () => {
    const { keys } = idp.publicJwks()
    expect(keys.map((key) => key['alg']).sort()).toEqual(['ES256', 'RS256'])
    for (const key of keys) {
      expect(key['use']).toBe('sig')
      expect(typeof key['kid']).toBe('string')
      expect(key['d']).toBeUndefined()
    }
  })

  it('issues a client_credentials JWT access token that verifies against the remote JWKS', async () => {
    const token = await idp.getAccessToken()
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: idp.resource,
      typ: 'at+jwt',
    })
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload['scope']).toBe('read write admin')
    expect(payload['client_id']).toBe(idp.client.clientId)
    expect(payload.sub).toBe(idp.client.clientId)
    expect(payload.exp! - payload.iat!).toBe(300)
  })

  it('narrows the scope claim to what was requested', async () => {
    const token = await idp.getAccessToken({ scope: 'read' })
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: idp.resource,
    })
    expect(payload['scope']).toBe('read')
  })

  it('drives authorization code + PKCE and returns an ID token with the nonce', async () => {
    const { idToken, accessToken } = await idp.getIdToken({ sub: 'bob', nonce: 'nonce-123' })
    const { payload, protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: idp.client.clientId,
    })
    expect(protectedHeader.alg).toBe('RS256')
    expect(payload.sub).toBe('bob')
    expect(payload['nonce']).toBe('nonce-123')
    expect(payload['email']).toBe('bob@example.test')
    expect(payload['email_verified']).toBe(true)
    // Without a resource the access token is opaque and works at userinfo.
    expect(accessToken.split('.')).toHaveLength(1)
    const userinfo = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(userinfo.status).toBe(200)
    expect(((await userinfo.json()) as Record<string, unknown>)['sub']).toBe('bob')
  })

  it('returns a JWT access token for the resource from the code flow', async () => {
    const tokens = await idp.getIdToken({ resource: idp.resource, scope: 'openid offline_access write' })
    const { payload, protectedHeader } = await jwtVerify(
      tokens.accessToken,
      createRemoteJWKSet(new URL(idp.jwksUri)),
      { issuer: idp.issuer, audience: idp.resource },
    )
    expect(protectedHeader.typ).toBe('at+jwt')
    expect(payload.sub).toBe('alice')
    expect(payload['scope']).toBe('write')
    expect(typeof tokens.refreshToken).toBe('string')
  })

  it('answers 503 from the JWKS endpoint in down mode and counts JWKS requests', async () => {
    const before = idp.jwksRequests
    idp.setJwksMode('down')
    try {
      const down = await fetch(idp.jwksUri)
      expect(down.status).toBe(503)
      const discovery = await fetch(`${idp.issuer}/.well-known/openid-configuration`)
      expect(discovery.status).toBe(200)
    } finally {
      idp.setJwksMode('up')
    }
    const up = await fetch(idp.jwksUri)
    expect(up.status).toBe(200)
    expect(((await up.json()) as { keys: unknown[] }).keys).toHaveLength(idp.publicJwks().keys.length)
    expect(idp.jwksRequests).toBe(before + 2)
  })

  it('rotates keys: new tokens carry a new kid and the JWKS lists old and new keys', async () => {
    const port = new URL(idp.issuer).port
    const oldToken = await idp.getAccessToken()
    const oldKid = decodeProtectedHeader(oldToken).kid
    const { refreshToken } = await idp.getIdToken({ scope: 'openid offline_access' })

    await idp.rotateKeys()

    expect(new URL(idp.issuer).port).toBe(port)
    const newToken = await idp.getAccessToken()
    const newKid = decodeProtectedHeader(newToken).kid
    expect(newKid).toBeTypeOf('string')
    expect(newKid).not.toBe(oldKid)
    const served = (await (await fetch(idp.jwksUri)).json()) as { keys: { kid: string }[] }
    const kids = served.keys.map((key) => key.kid)
    expect(kids).toHaveLength(4)
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]))
    expect(idp.publicJwks().keys.map((key) => key['kid'])).toEqual(kids)
    // Both tokens still verify: the old key stays published.
    const jwks = createRemoteJWKSet(new URL(idp.jwksUri))
    await expect(
      jwtVerify(oldToken, jwks, { issuer: idp.issuer, audience: idp.resource }),
    ).resolves.toBeTruthy()
    await expect(
      jwtVerify(newToken, jwks, { issuer: idp.issuer, audience: idp.resource }),
    ).resolves.toBeTruthy()
    // State (grants, refresh tokens) survives the Provider rebuild.
    const refreshed = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${idp.client.clientId}:${idp.client.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken ?? '' }),
    })
    expect(refreshed.status).toBe(200)
    const idToken = ((await refreshed.json()) as { id_token: string }).id_token
    expect(decodeProtectedHeader(idToken).kid).toBe(
      idp.publicJwks().keys.find((k) => k['alg'] === 'RS256')?.['kid'],
    )
  })

  it('drops old keys from the JWKS with dropOld', async () => {
    const before = idp.publicJwks().keys.map((key) => key['kid'])
    await idp.rotateKeys({ dropOld: true })
    const served = (await (await fetch(idp.jwksUri)).json()) as { keys: { kid: string }[] }
    expect(served.keys).toHaveLength(2)
    for (const key of served.keys) expect(before).not.toContain(key.kid)
  })
})

describe('dev-idp options and hang mode', () => {
  it('signs access tokens with ES256 and honours resource, scopes and ttl', async () => {
    const idp = await startDevIdp({
      accessTokenAlg: 'ES256',
      resource: 'https://orders.example.test',
      scopes: ['orders:read'],
      accessTokenTtl: 60,
    })
    try {
      const token = await idp.getAccessToken()
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
        issuer: idp.issuer,
        audience: 'https://orders.example.test',
      })
      expect(protectedHeader.alg).toBe('ES256')
      expect(protectedHeader.kid).toBe(idp.publicJwks().keys.find((k) => k['alg'] === 'ES256')?.['kid'])
      expect(payload['scope']).toBe('orders:read')
      expect(payload.exp! - payload.iat!).toBe(60)
      const { idToken } = await idp.getIdToken()
      expect(decodeProtectedHeader(idToken).alg).toBe('RS256')
    } finally {
      await idp.close()
    }
  })

  it('leaves JWKS requests hanging in hang mode until close', async () => {
    const idp = await startDevIdp()
    idp.setJwksMode('hang')
    const pending = fetch(idp.jwksUri).then(
      (response) => `status ${response.status}`,
      () => 'failed',
    )
    const early = await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, 300, 'pending'))])
    expect(early).toBe('pending')
    expect(idp.jwksRequests).toBe(1)
    const started = Date.now()
    await idp.close()
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(await pending).toBe('failed')
  })
})
