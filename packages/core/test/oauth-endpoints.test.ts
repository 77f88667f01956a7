import type { DevIdp } from '@org/dev-idp'
import { describe, expect, it } from 'vitest'
import { ClientSecretPost, OAuthClient, OAuthExchangeError, skipSubjectCheck } from '../src/index.js'
import { devIdps } from './helpers/dev-idps.js'

// Userinfo, revocation (RFC 7009) and introspection (RFC 7662) against oidc-provider; tokens come
// from its real authorization-code flow (login and consent driven by the dev IdP) or client credentials.
const idp = devIdps()

async function basicClient(provider: DevIdp): Promise<OAuthClient> {
  const { clientId, clientSecret } = provider.client
  return OAuthClient.discover(provider.issuer, { clientId, clientSecret })
}

describe('userinfo', () => {
  it('returns the claims when sub matches the ID token', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { accessToken } = await provider.getIdToken({ sub: 'bob' })
    await expect(client.userinfo(accessToken, 'bob')).resolves.toEqual({
      sub: 'bob',
      email: 'bob@example.test',
      email_verified: true,
      name: 'Bob',
    })
  })

  it('refuses a userinfo answer for another subject', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { accessToken } = await provider.getIdToken({ sub: 'bob' })
    const error = await client.userinfo(accessToken, 'alice').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_USERINFO_SUB_MISMATCH', status: 502 })
    expect(String(error)).not.toContain(accessToken)
  })

  it('skips only the equality with skipSubjectCheck', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { accessToken } = await provider.getIdToken({ sub: 'carol' })
    await expect(client.userinfo(accessToken, skipSubjectCheck)).resolves.toMatchObject({
      sub: 'carol',
      email: 'carol@example.test',
    })
    await expect(client.userinfo(accessToken, undefined as unknown as string)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})

describe('introspection and revocation', () => {
  it('introspects a live access token from the code flow', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { accessToken } = await provider.getIdToken({ sub: 'bob' })
    const result = await client.introspect(accessToken, 'access_token')
    expect(result).toMatchObject({
      active: true,
      client_id: provider.client.clientId,
      sub: 'bob',
      token_type: 'Bearer',
    })
    expect(result.exp).toBeGreaterThan(Math.floor(Date.now() / 1000))
  })

  it('introspects with client_secret_post; a JWT client-credentials token is refused by the server', async () => {
    const provider = await idp()
    const { clientId, clientSecret } = provider.clients.post
    const client = await OAuthClient.discover(provider.issuer, {
      clientId,
      clientAuthentication: ClientSecretPost(clientSecret),
    })
    const { accessToken } = await provider.getIdToken({ sub: 'dave' })
    await expect(client.introspect(accessToken)).resolves.toMatchObject({
      active: true,
      client_id: provider.client.clientId,
      sub: 'dave',
    })
    // oidc-provider does not introspect structured (JWT) access tokens: its refusal comes back typed.
    const jwt = await provider.getAccessToken({ scope: 'read' })
    await expect(client.introspect(jwt)).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'unsupported_token_type',
    })
  })

  it('revokes an access token: introspection then says inactive and userinfo refuses it', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { accessToken } = await provider.getIdToken({ sub: 'bob' })
    await expect(client.introspect(accessToken)).resolves.toMatchObject({ active: true })
    await expect(client.revoke(accessToken, 'access_token')).resolves.toBeUndefined()
    await expect(client.introspect(accessToken)).resolves.toEqual({ active: false })
    const error = await client.userinfo(accessToken, 'bob').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthExchangeError)
    expect(error).toMatchObject({ error: 'invalid_token' })
    // RFC 7009 §2.2: revoking an invalid token is still a success.
    await expect(client.revoke(accessToken)).resolves.toBeUndefined()
  })

  it('revokes a refresh token with its hint', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    const { refreshToken } = await provider.getIdToken({ scope: 'openid offline_access' })
    expect(refreshToken).toMatch(/^[\w-]{20,}$/)
    await expect(client.introspect(refreshToken as string, 'refresh_token')).resolves.toMatchObject({
      active: true,
      client_id: provider.client.clientId,
      sub: 'alice',
    })
    await client.revoke(refreshToken as string, 'refresh_token')
    await expect(client.introspect(refreshToken as string, 'refresh_token')).resolves.toEqual({
      active: false,
    })
  })

  it('reports a wrong client secret as invalid_client, without the secret', async () => {
    const provider = await idp()
    const client = await OAuthClient.discover(provider.issuer, {
      clientId: provider.client.clientId,
      clientSecret: 'wrong-secret-0123456789',
    })
    const token = await provider.getAccessToken()
    for (const call of [client.introspect(token), client.revoke(token)]) {
      const error = await call.catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_client' })
      expect(JSON.stringify(error)).not.toContain('wrong-secret')
      expect(String(error)).not.toContain(token)
    }
  })

  it('refuses an unknown token_type_hint before any request', async () => {
    const provider = await idp()
    const client = await basicClient(provider)
    await expect(client.revoke('token', 'id_token' as 'access_token')).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})
