import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevIdp, GRANT_TYPES, startDevIdp } from '../src/index.js'
import { basic, postForm, str } from './http.js'

describe('dev-idp device authorization grant (RFC 8628)', () => {
  let idp: DevIdp
  let auth: Record<string, string>

  beforeAll(async () => {
    idp = await startDevIdp()
    auth = { authorization: basic(idp.client.clientId, idp.client.clientSecret) }
  })

  afterAll(async () => {
    await idp.close()
  })

  it('is pending until approveDevice(), then issues tokens for the chosen sub', async () => {
    const started = await postForm(
      idp.endpoints.deviceAuthorization,
      { scope: 'openid email offline_access' },
      auth,
    )
    expect(started.status).toBe(200)
    const userCode = str(started.body, 'user_code')
    expect(userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    expect(started.body['verification_uri']).toBe(idp.endpoints.deviceVerification)
    expect(started.body['verification_uri']).toBe(`${idp.issuer}/device`)
    expect(started.body['expires_in']).toBe(600)
    const poll = () =>
      postForm(
        idp.endpoints.token,
        { grant_type: GRANT_TYPES.deviceCode, device_code: str(started.body, 'device_code') },
        auth,
      )

    const pending = await poll()
    expect(pending.status).toBe(400)
    expect(pending.body['error']).toBe('authorization_pending')

    await idp.approveDevice(userCode, { sub: 'dave' })

    const { status, body } = await poll()
    expect(status).toBe(200)
    expect(typeof body['refresh_token']).toBe('string')
    const id = await jwtVerify(str(body, 'id_token'), createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: 'dev-client',
    })
    expect(id.payload.sub).toBe('dave')
    expect(id.payload['email']).toBe('dave@example.test')

    // The code is spent: the user cannot approve it again, the device cannot redeem it again.
    await expect(idp.approveDevice(userCode)).rejects.toThrow(/AlreadyUsedError/)
    const again = await poll()
    expect(again.status).toBe(400)
    expect(again.body['error']).toBe('invalid_grant')
  })

  it('answers access_denied after the user aborts (public client, no secret)', async () => {
    const clientId = idp.clients.public.clientId
    const started = await postForm(idp.endpoints.deviceAuthorization, {
      client_id: clientId,
      scope: 'openid',
    })
    expect(started.status).toBe(200)

    await idp.approveDevice(str(started.body, 'user_code'), { deny: true })

    const { status, body } = await postForm(idp.endpoints.token, {
      client_id: clientId,
      grant_type: GRANT_TYPES.deviceCode,
      device_code: str(started.body, 'device_code'),
    })
    expect(status).toBe(400)
    expect(body['error']).toBe('access_denied')
  })

  it('logs in the login_hint account when approveDevice() gets no sub', async () => {
    const started = await postForm(
      idp.endpoints.deviceAuthorization,
      { scope: 'openid', login_hint: 'erin' },
      auth,
    )
    await idp.approveDevice(str(started.body, 'user_code').toLowerCase())
    const { status, body } = await postForm(
      idp.endpoints.token,
      { grant_type: GRANT_TYPES.deviceCode, device_code: str(started.body, 'device_code') },
      auth,
    )
    expect(status).toBe(200)
    const userinfo = await fetch(idp.endpoints.userinfo, {
      headers: { authorization: `Bearer ${str(body, 'access_token')}` },
    })
    expect(await userinfo.json()).toEqual({ sub: 'erin' })
  })

  it('rejects an unknown user code with the IdP message', async () => {
    await expect(idp.approveDevice('BCDF-GHJK')).rejects.toThrow(
      'dev-idp: device code rejected (NotFoundError: the code was not found)',
    )
  })
})
