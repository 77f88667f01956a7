import { decodeProtectedHeader } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { createRemoteJwks, createResourceServer, createTokenVerifier } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'

// Tokens here come from oidc-provider, a certified OpenID Provider, running in-process on 127.0.0.1.
const idp = devIdps()

describe('against a real OpenID Provider', () => {
  it('verifies RS256 and ES256 JWT access tokens found through discovery', async () => {
    for (const accessTokenAlg of ['RS256', 'ES256'] as const) {
      const provider = await idp({ accessTokenAlg })
      const verifier = createTokenVerifier({
        issuer: provider.issuer,
        audience: provider.resource,
        discovery: true,
        tokenType: 'access',
      })
      const token = await provider.getAccessToken({ scope: 'read write' })
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: accessTokenAlg, typ: 'at+jwt' })
      await expect(verifier.verify(token)).resolves.toMatchObject({
        iss: provider.issuer,
        aud: provider.resource,
        client_id: provider.client.clientId,
        scope: 'read write',
      })
    }
  })

  it('verifies an ID token from the authorization code flow, and refuses it as an access token', async () => {
    const provider = await idp()
    const { idToken } = await provider.getIdToken({ sub: 'bob', nonce: 'n-123' })
    const idVerifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.client.clientId,
      jwks: provider.jwksUri,
      tokenType: 'id',
    })
    await expect(idVerifier.verify(idToken)).resolves.toMatchObject({
      sub: 'bob',
      nonce: 'n-123',
      aud: provider.client.clientId,
    })
    const accessVerifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      jwks: provider.jwksUri,
    })
    await expect(accessVerifier.verify(idToken)).rejects.toMatchObject({ code: 'ERR_JWT_TYPE_INVALID' })
  })

  it('refuses an ID token as an access token by default, even where the API audience is the client id', async () => {
    const provider = await idp()
    const { idToken } = await provider.getIdToken({ sub: 'bob', nonce: 'n-123' })
    const options = { issuer: provider.issuer, audience: provider.client.clientId, jwks: provider.jwksUri }
    const byDefault = createTokenVerifier(options)
    await expect(byDefault.verify(idToken)).rejects.toMatchObject({
      code: 'ERR_JWT_TYPE_INVALID',
      status: 401,
    })
    // An issuer that does not type its tokens: the ID token is still told apart by its claims.
    const untyped = createTokenVerifier({ ...options, tokenType: 'untyped-access' })
    await expect(untyped.verify(idToken)).rejects.toMatchObject({ code: 'ERR_JWT_TYPE_INVALID' })
    // The explicit opt-out takes it: the audience was the only other check.
    const any = createTokenVerifier({ ...options, tokenType: 'any' })
    await expect(any.verify(idToken)).resolves.toMatchObject({ sub: 'bob' })
    // Real access tokens pass both typed and untyped verifiers.
    const token = await provider.getAccessToken({ scope: 'read' })
    const api = { issuer: provider.issuer, audience: provider.resource, jwks: provider.jwksUri }
    await expect(createTokenVerifier(api).verify(token)).resolves.toMatchObject({ scope: 'read' })
    await expect(
      createTokenVerifier({ ...api, tokenType: 'untyped-access' }).verify(token),
    ).resolves.toMatchObject({ scope: 'read' })
  })

  it('follows a key rotation with exactly one JWKS refetch', async () => {
    const provider = await idp()
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      jwks: provider.jwksUri,
      remote: { cooldown: 0 },
      cache: false,
    })
    const before = await provider.getAccessToken()
    await verifier.verify(before)
    expect(provider.jwksRequests).toBe(1)
    await provider.rotateKeys()
    const after = await provider.getAccessToken()
    expect(decodeProtectedHeader(after).kid).not.toBe(decodeProtectedHeader(before).kid)
    await expect(verifier.verify(after)).resolves.toMatchObject({ iss: provider.issuer })
    await expect(verifier.verify(after)).resolves.toMatchObject({ iss: provider.issuer })
    await expect(verifier.verify(before)).resolves.toMatchObject({ iss: provider.issuer })
    expect(provider.jwksRequests).toBe(2)
  })

  it('stops accepting tokens of a key the provider dropped, once it refetches', async () => {
    const provider = await idp()
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      jwks: provider.jwksUri,
      remote: { cooldown: 0 },
      cache: false,
    })
    const old = await provider.getAccessToken()
    await verifier.verify(old)
    await provider.rotateKeys({ dropOld: true })
    await verifier.verify(await provider.getAccessToken()) // triggers the refetch
    await expect(verifier.verify(old)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('keeps serving cached keys when the JWKS endpoint goes down', async () => {
    const provider = await idp()
    const jwks = createRemoteJwks(provider.jwksUri, { maxAge: 0 })
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      jwks,
      cache: false,
    })
    const token = await provider.getAccessToken()
    await verifier.verify(token)
    provider.setJwksMode('down')
    await expect(jwks.refresh()).rejects.toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE' })
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: provider.issuer })
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: provider.issuer })
  })

  it('keeps serving cached keys while a refresh hangs, and starts no second refresh', async () => {
    const provider = await idp()
    // The refresh timeout is far longer than the test's: resolving at all proves no request waited on it.
    const jwks = createRemoteJwks(provider.jwksUri, { maxAge: 0, timeout: 600_000 })
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      jwks,
      cache: false,
    })
    const token = await provider.getAccessToken()
    await verifier.verify(token)
    provider.setJwksMode('hang')
    // maxAge 0 means "stale once a millisecond has passed": make sure one has.
    await new Promise((resolve) => setTimeout(resolve, 5))
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: provider.issuer })
    // The background refresh reaches the endpoint soon; a loaded 2-core machine may take seconds.
    await vi.waitFor(() => expect(provider.jwksRequests).toBe(2), { timeout: 20_000, interval: 20 })
    await expect(verifier.verify(token)).resolves.toMatchObject({ iss: provider.issuer })
    expect(provider.jwksRequests).toBe(2)
  })

  it('routes tokens of two real issuers through one resource server', async () => {
    const [a, b] = [await idp(), await idp({ resource: 'https://api.example.test' })]
    const server = createResourceServer({
      verifiers: [a, b].map((p) =>
        createTokenVerifier({ issuer: p.issuer, audience: p.resource, discovery: true }),
      ),
    })
    await expect(server.verify(await a.getAccessToken())).resolves.toMatchObject({ iss: a.issuer })
    await expect(server.verify(await b.getAccessToken())).resolves.toMatchObject({ iss: b.issuer })
    const stranger = await idp()
    await expect(server.verify(await stranger.getAccessToken())).rejects.toMatchObject({
      code: 'ERR_JWT_ISSUER_UNKNOWN',
    })
    expect(stranger.jwksRequests).toBe(0)
  })
})
