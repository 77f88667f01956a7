import { type DevIdp, startDevIdp } from '@org/dev-idp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTokenVerifier, MfaRequiredError, OAuthClient, OAuthExchangeError } from '../src/index.js'
import { errorBody, type ScriptedServer, startScriptedServer, tokenBody } from './helpers/grants-server.js'

// One provider for the file: every test logs in afresh, and mfa_tokens are single-use.
let provider: DevIdp
let client: OAuthClient
beforeAll(async () => {
  provider = await startDevIdp()
  const { clientId, clientSecret } = provider.client
  client = await OAuthClient.discover(provider.issuer, { clientId, clientSecret })
})
afterAll(async () => {
  await provider.close()
})

/** Logs mfa-user in with the password and returns the mfa_token of the MfaRequiredError. */
async function mfaToken(scope = 'openid email offline_access'): Promise<string> {
  const error = await client.password('mfa-user', 'mfa-password', { scope }).catch((e: unknown) => e)
  if (!(error instanceof MfaRequiredError)) throw new Error('expected mfa_required')
  return error.mfaToken
}

describe('password grant against a real provider', () => {
  it('logs alice in: a JWT for the API, a verified ID token, a refresh token with offline_access', async () => {
    const tokens = await client.password('alice', 'alice-password', {
      scope: 'openid email offline_access read',
      resource: provider.resource,
    })
    expect(tokens.claims).toMatchObject({
      sub: 'alice',
      iss: provider.issuer,
      aud: provider.client.clientId,
      email: 'alice@example.test',
      amr: ['pwd'],
    })
    expect(tokens.refreshToken).toEqual(expect.any(String))
    const verifier = createTokenVerifier({
      issuer: provider.issuer,
      audience: provider.resource,
      discovery: true,
    })
    await expect(verifier.verify(tokens.accessToken)).resolves.toMatchObject({ sub: 'alice', scope: 'read' })
  })

  it('without openid or offline_access there is neither ID token nor refresh token', async () => {
    const tokens = await client.password('alice', 'alice-password', {
      scope: 'read',
      audience: provider.resource,
    })
    expect(tokens).toMatchObject({ tokenType: 'Bearer', scope: 'read' })
    expect(tokens.idToken).toBeUndefined()
    expect(tokens.claims).toBeUndefined()
    expect(tokens.refreshToken).toBeUndefined()
  })

  it('refuses a wrong password with invalid_grant', async () => {
    const error = await client.password('alice', 'wrong').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OAuthExchangeError)
    expect(error).not.toBeInstanceOf(MfaRequiredError)
    expect(error).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'invalid_grant' })
  })

  it('answers mfa-user with MfaRequiredError carrying the mfa_token', async () => {
    const error = await client
      .password('mfa-user', 'mfa-password', { scope: 'openid' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MfaRequiredError)
    expect(error).toMatchObject({ code: 'ERR_OAUTH_EXCHANGE', error: 'mfa_required', status: 400 })
    expect((error as MfaRequiredError).mfaToken).toMatch(/^[\w-]{20,}$/)
    expect((error as Error).message).not.toContain((error as MfaRequiredError).mfaToken)
  })
})

describe('password-MFA against a real provider', () => {
  it('lists the enrolled authenticators in camelCase', async () => {
    await expect(client.mfaAuthenticators(await mfaToken())).resolves.toEqual([
      { id: 'otp|dev', authenticatorType: 'otp', active: true },
      { id: 'sms|dev', authenticatorType: 'oob', active: true, name: '+1 555 0100', oobChannel: 'sms' },
    ])
  })

  it('completes with an OTP: a wrong one is invalid_grant, the right one gives the tokens asked for', async () => {
    const token = await mfaToken()
    await expect(client.mfaOtpRequest(token, 'otp|dev')).resolves.toEqual({ challengeType: 'otp' })
    await expect(client.mfaOtpComplete(token, '654321')).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_grant',
    })
    const tokens = await client.mfaOtpComplete(token, '123456')
    expect(tokens.claims).toMatchObject({
      sub: 'mfa-user',
      email: 'mfa-user@example.test',
      amr: ['pwd', 'otp', 'mfa'],
    })
    expect(tokens.refreshToken).toEqual(expect.any(String))
    // The mfa_token was single-use.
    await expect(client.mfaOtpComplete(token, '123456')).rejects.toMatchObject({ error: 'invalid_grant' })
  })

  it('completes out of band: authorization_pending until the user confirms, then the tokens', async () => {
    const token = await mfaToken('openid')
    const challenge = await client.mfaOobRequest(token, 'sms|dev')
    expect(challenge).toEqual({ challengeType: 'oob', oobCode: expect.any(String), bindingMethod: 'prompt' })
    const oobCode = challenge.oobCode ?? ''
    provider.setOobPending(true)
    try {
      await expect(client.mfaOobComplete(token, oobCode, '000000')).rejects.toMatchObject({
        code: 'ERR_OAUTH_EXCHANGE',
        error: 'authorization_pending',
      })
    } finally {
      provider.setOobPending(false)
    }
    await expect(client.mfaOobComplete(token, oobCode, '999999')).rejects.toMatchObject({
      error: 'invalid_grant',
    })
    const tokens = await client.mfaOobComplete(token, oobCode, '000000')
    expect(tokens.claims).toMatchObject({ sub: 'mfa-user', amr: ['pwd', 'sms', 'mfa'] })
    expect(tokens.refreshToken).toBeUndefined()
  })

  it('refuses an unknown mfa_token at every step with a typed error', async () => {
    await expect(client.mfaAuthenticators('not-a-token')).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_token',
    })
    await expect(client.mfaOtpRequest('not-a-token')).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(client.mfaOobRequest('not-a-token')).rejects.toMatchObject({ error: 'invalid_grant' })
    await expect(client.mfaOtpComplete('not-a-token', '123456')).rejects.toMatchObject({
      error: 'invalid_grant',
    })
  })

  it('refuses a challenge for an authenticator of the other type', async () => {
    await expect(client.mfaOtpRequest(await mfaToken(), 'sms|dev')).rejects.toMatchObject({
      code: 'ERR_OAUTH_EXCHANGE',
      error: 'invalid_request',
    })
  })
})

describe('password-MFA against a scripted server', () => {
  let server: ScriptedServer
  let scripted: OAuthClient
  beforeAll(async () => {
    server = await startScriptedServer()
    scripted = new OAuthClient({
      metadata: { issuer: server.base, token_endpoint: server.url('/oauth/token') },
      clientId: 'app',
      clientSecret: 'app-secret',
      tokenRequestFormat: 'json',
    })
  })
  afterAll(async () => {
    await server.close()
  })

  it('GETs the authenticators with the mfa_token as bearer token, at <issuer>/mfa/authenticators', async () => {
    const requests = server.script('/mfa/authenticators', [{ body: [] }])
    await expect(scripted.mfaAuthenticators('mfa-tok')).resolves.toEqual([])
    expect(requests[0]).toMatchObject({
      method: 'GET',
      body: '',
      headers: { authorization: 'Bearer mfa-tok' },
    })
  })

  it.each([
    ['an object', { authenticators: [] }],
    ['an entry without "active"', [{ id: 'a', authenticator_type: 'otp' }]],
    ['an entry without "id"', [{ authenticator_type: 'otp', active: true }]],
    ['a numeric "oob_channel"', [{ id: 'a', authenticator_type: 'oob', active: true, oob_channel: 1 }]],
    ['a string entry', ['otp']],
  ])('refuses an authenticators answer that is %s: ERR_MFA_RESPONSE_INVALID', async (_, body) => {
    server.script('/mfa/authenticators', [{ body }])
    await expect(scripted.mfaAuthenticators('mfa-tok')).rejects.toMatchObject({
      name: 'RemoteResponseError',
      code: 'ERR_MFA_RESPONSE_INVALID',
    })
  })

  it('POSTs the challenge with client authentication, in the client format', async () => {
    const requests = server.script('/mfa/challenge', [{ body: { challenge_type: 'oob', oob_code: 'oob-1' } }])
    await expect(scripted.mfaOobRequest('mfa-tok', 'sms|x')).resolves.toEqual({
      challengeType: 'oob',
      oobCode: 'oob-1',
    })
    expect(requests[0]?.headers).toMatchObject({
      authorization: `Basic ${btoa('app:app-secret')}`,
      'content-type': 'application/json',
    })
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({
      mfa_token: 'mfa-tok',
      challenge_type: 'oob',
      authenticator_id: 'sms|x',
    })
  })

  it.each([
    ['another challenge type', 'otp', { challenge_type: 'oob', oob_code: 'x' }],
    ['no challenge type', 'otp', {}],
    ['an oob challenge without oob_code', 'oob', { challenge_type: 'oob', binding_method: 'prompt' }],
    ['a numeric binding_method', 'oob', { challenge_type: 'oob', oob_code: 'x', binding_method: 1 }],
  ] as const)('refuses a challenge answer with %s', async (_, type, body) => {
    server.script('/mfa/challenge', [{ body }])
    const request = type === 'otp' ? scripted.mfaOtpRequest('t') : scripted.mfaOobRequest('t')
    await expect(request).rejects.toMatchObject({ code: 'ERR_MFA_RESPONSE_INVALID' })
  })

  it('sends the mfa-otp and mfa-oob grants with their parameters', async () => {
    const requests = server.script('/oauth/token', [
      tokenBody('at-otp'),
      errorBody('slow_down'),
      tokenBody('at-oob'),
    ])
    await expect(scripted.mfaOtpComplete('t1', '123456', ['openid', 'read'])).resolves.toMatchObject({
      accessToken: 'at-otp',
    })
    await expect(scripted.mfaOobComplete('t2', 'oob-1', undefined)).rejects.toMatchObject({
      error: 'slow_down',
    })
    await expect(scripted.mfaOobComplete('t2', 'oob-1', '000000')).resolves.toMatchObject({
      accessToken: 'at-oob',
    })
    expect(requests.map((r) => JSON.parse(r.body))).toEqual([
      {
        grant_type: 'http://auth0.com/oauth/grant-type/mfa-otp',
        mfa_token: 't1',
        otp: '123456',
        scope: 'openid read',
      },
      { grant_type: 'http://auth0.com/oauth/grant-type/mfa-oob', mfa_token: 't2', oob_code: 'oob-1' },
      {
        grant_type: 'http://auth0.com/oauth/grant-type/mfa-oob',
        mfa_token: 't2',
        oob_code: 'oob-1',
        binding_code: '000000',
      },
    ])
  })
})
