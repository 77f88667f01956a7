import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEV_USERS,
  type DevIdp,
  GRANT_TYPES,
  MFA_AUTHENTICATORS,
  MFA_OOB_BINDING_CODE,
  MFA_OTP_CODE,
  startDevIdp,
} from '../src/index.js'
import { basic, getJson, postForm, str } from './http.js'

describe('dev-idp password grant and Auth0-style MFA', () => {
  let idp: DevIdp
  let auth: Record<string, string>
  let jwks: ReturnType<typeof createRemoteJWKSet>

  const token = (form: Record<string, string>) => postForm(idp.endpoints.token, form, auth)
  const mfaToken = async (): Promise<string> => {
    const { status, body } = await token({
      grant_type: 'password',
      username: 'mfa-user',
      password: 'mfa-password',
      scope: 'openid email',
    })
    expect(status).toBe(403)
    return str(body, 'mfa_token')
  }

  beforeAll(async () => {
    idp = await startDevIdp()
    auth = { authorization: basic(idp.client.clientId, idp.client.clientSecret) }
    jwks = createRemoteJWKSet(new URL(idp.jwksUri))
  })

  afterAll(async () => {
    await idp.close()
  })

  it('exports the fixed users and codes', () => {
    expect(DEV_USERS.map(({ username, password, mfa }) => [username, password, mfa])).toEqual([
      ['alice', 'alice-password', false],
      ['mfa-user', 'mfa-password', true],
    ])
    expect(MFA_OTP_CODE).toBe('123456')
    expect(MFA_OOB_BINDING_CODE).toBe('000000')
    expect(GRANT_TYPES.mfaOtp).toBe('http://auth0.com/oauth/grant-type/mfa-otp')
  })

  it('issues a JWT access token, ID token and rotating refresh token for alice', async () => {
    const { status, body } = await token({
      grant_type: 'password',
      username: 'alice',
      password: 'alice-password',
      scope: 'openid email offline_access read',
      audience: idp.resource,
    })
    expect(status).toBe(200)
    expect(body['token_type']).toBe('Bearer')
    expect(body['expires_in']).toBe(300)
    const at = await jwtVerify(str(body, 'access_token'), jwks, {
      issuer: idp.issuer,
      audience: idp.resource,
    })
    expect(at.payload.sub).toBe('alice')
    expect(at.payload['scope']).toBe('read')
    expect(at.payload['client_id']).toBe('dev-client')
    const id = await jwtVerify(str(body, 'id_token'), jwks, { issuer: idp.issuer, audience: 'dev-client' })
    expect(id.payload.sub).toBe('alice')
    expect(id.payload['email']).toBe('alice@example.test')
    expect(id.payload['amr']).toEqual(['pwd'])

    const refreshToken = str(body, 'refresh_token')
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: refreshToken })
    expect(refreshed.status).toBe(200)
    expect(str(refreshed.body, 'refresh_token')).not.toBe(refreshToken)
    const again = await jwtVerify(str(refreshed.body, 'access_token'), jwks, { audience: idp.resource })
    expect(again.payload['scope']).toBe('read')
    // Rotation: the old refresh token is spent.
    const replay = await token({ grant_type: 'refresh_token', refresh_token: refreshToken })
    expect(replay.status).toBe(400)
    expect(replay.body['error']).toBe('invalid_grant')
  })

  it('issues an opaque userinfo token without audience, and no refresh token without offline_access', async () => {
    const { status, body } = await token({
      grant_type: 'password',
      username: 'alice',
      password: 'alice-password',
      scope: 'openid profile',
    })
    expect(status).toBe(200)
    expect(body['refresh_token']).toBeUndefined()
    expect(body['scope']).toBe('openid profile')
    const userinfo = await getJson(idp.endpoints.userinfo, {
      authorization: `Bearer ${str(body, 'access_token')}`,
    })
    expect(userinfo).toEqual({ status: 200, body: { sub: 'alice', name: 'Alice' } })
  })

  it('answers 400 invalid_grant for a wrong password or unknown user', async () => {
    for (const [username, password] of [
      ['alice', 'wrong'],
      ['mallory', 'alice-password'],
    ] as const) {
      const { status, body } = await token({ grant_type: 'password', username, password })
      expect(status).toBe(400)
      expect(body['error']).toBe('invalid_grant')
    }
  })

  it('rejects the password grant for a client without it', async () => {
    const { status, body } = await postForm(idp.endpoints.token, {
      grant_type: 'password',
      username: 'alice',
      password: 'alice-password',
      client_id: idp.clients.post.clientId,
      client_secret: idp.clients.post.clientSecret,
    })
    expect(status).toBe(400)
    expect(body['error']).toBe('invalid_request')
    expect(body['error_description']).toBe('requested grant type is not allowed for this client')
  })

  it('runs mfa_required → authenticators → otp challenge → mfa-otp', async () => {
    const first = await token({
      grant_type: 'password',
      username: 'mfa-user',
      password: 'mfa-password',
      scope: 'openid email',
    })
    expect(first.status).toBe(403)
    expect(first.body['error']).toBe('mfa_required')
    expect(first.body['error_description']).toBe('Multifactor authentication required')
    const mfa = str(first.body, 'mfa_token')
    expect(mfa).toMatch(/^[\w-]{32}$/)

    const list = await fetch(idp.endpoints.mfaAuthenticators, { headers: { authorization: `Bearer ${mfa}` } })
    expect(list.status).toBe(200)
    const authenticators = await list.json()
    expect(authenticators).toEqual([
      { id: 'otp|dev', authenticator_type: 'otp', active: true },
      { id: 'sms|dev', authenticator_type: 'oob', oob_channel: 'sms', active: true, name: '+1 555 0100' },
    ])
    expect(authenticators).toEqual(MFA_AUTHENTICATORS)
    const bad = await getJson(idp.endpoints.mfaAuthenticators, { authorization: 'Bearer nope' })
    expect(bad).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'Invalid or expired mfa_token.' },
    })

    const challenge = await postForm(
      idp.endpoints.mfaChallenge,
      { mfa_token: mfa, challenge_type: 'otp', authenticator_id: 'otp|dev' },
      auth,
    )
    expect(challenge).toEqual({ status: 200, body: { challenge_type: 'otp' } })

    const wrong = await token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfa, otp: '000000' })
    expect(wrong).toEqual({
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Invalid otp_code.' },
    })

    const ok = await token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfa, otp: MFA_OTP_CODE })
    expect(ok.status).toBe(200)
    const id = await jwtVerify(str(ok.body, 'id_token'), jwks, { issuer: idp.issuer, audience: 'dev-client' })
    expect(id.payload.sub).toBe('mfa-user')
    expect(id.payload['email']).toBe('mfa-user@example.test')
    expect(id.payload['amr']).toEqual(['pwd', 'otp', 'mfa'])

    // mfa_tokens are single-use.
    const reuse = await token({ grant_type: GRANT_TYPES.mfaOtp, mfa_token: mfa, otp: MFA_OTP_CODE })
    expect(reuse.status).toBe(403)
    expect(reuse.body['error']).toBe('invalid_grant')
  })

  it('runs an oob challenge: authorization_pending while pending, then tokens for the binding code', async () => {
    const mfa = await mfaToken()
    // Auth0 also accepts JSON with client_secret_post credentials.
    const response = await fetch(idp.endpoints.mfaChallenge, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: idp.client.clientId,
        client_secret: idp.client.clientSecret,
        mfa_token: mfa,
        challenge_type: 'oob',
      }),
    })
    expect(response.status).toBe(200)
    const challenge = (await response.json()) as Record<string, unknown>
    expect(challenge['challenge_type']).toBe('oob')
    expect(challenge['binding_method']).toBe('prompt')
    const oobCode = str(challenge, 'oob_code')

    const grant = (binding: string) =>
      token({ grant_type: GRANT_TYPES.mfaOob, mfa_token: mfa, oob_code: oobCode, binding_code: binding })
    idp.setOobPending(true)
    try {
      const pending = await grant(MFA_OOB_BINDING_CODE)
      expect(pending.status).toBe(400)
      expect(pending.body['error']).toBe('authorization_pending')
    } finally {
      idp.setOobPending(false)
    }
    const wrong = await grant('999999')
    expect(wrong).toEqual({
      status: 403,
      body: { error: 'invalid_grant', error_description: 'Invalid binding_code.' },
    })
    const ok = await grant(MFA_OOB_BINDING_CODE)
    expect(ok.status).toBe(200)
    const id = await jwtVerify(str(ok.body, 'id_token'), jwks, { audience: 'dev-client' })
    expect(id.payload.sub).toBe('mfa-user')
    expect(id.payload['amr']).toEqual(['pwd', 'sms', 'mfa'])
  })

  it('refuses an MFA challenge with bad client credentials or an unknown mfa_token', async () => {
    const mfa = await mfaToken()
    const badClient = await postForm(
      idp.endpoints.mfaChallenge,
      { mfa_token: mfa, challenge_type: 'otp' },
      { authorization: basic('dev-client', 'wrong') },
    )
    expect(badClient.status).toBe(401)
    expect(badClient.body['error']).toBe('invalid_client')
    const badToken = await postForm(
      idp.endpoints.mfaChallenge,
      { mfa_token: 'nope', challenge_type: 'otp' },
      auth,
    )
    expect(badToken.status).toBe(403)
    expect(badToken.body['error']).toBe('invalid_grant')
  })
})
