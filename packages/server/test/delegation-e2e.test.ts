/**
 * The real client against the real service over HTTP on 127.0.0.1: the three methods, session
 * expiry and replacement, attempt limits, delivery failures, and secrets kept out of everything
 * a log could see.
 */
import { DelegationRefusedError, MfaMethod } from '@org/auth-core/delegation'
import { afterEach, describe, expect, it } from 'vitest'
import { base32Decode, createMemoryDelegationStore, generateTotp } from '../src/index.js'
import { type Harness, SP_ID, startHarness, T0 } from './helpers/harness.js'

let h: Harness

afterEach(async () => {
  await h?.close()
})

const codeSent = () => h.sent.at(-1)?.code as string
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')

describe('MFA delegation end to end', () => {
  it('enrols email: the code goes through the sender, the verified method is stored', async () => {
    h = await startHarness()
    const session = await h.client.initiateMfaChange({
      userId: 'alice',
      method: MfaMethod.Email,
      email: 'Alice@Example.COM',
    })
    expect(session).toMatchObject({ method: 'email', expiresAt: new Date(T0 + 600_000) })
    expect(session.totp).toBeUndefined()
    expect(h.sent).toHaveLength(1)
    expect(h.sent[0]).toMatchObject({
      method: 'email',
      to: 'Alice@example.com',
      userId: 'alice',
      spId: SP_ID,
    })
    expect(h.sent[0]!.code).toMatch(/^\d{6}$/)

    const credentials = await h.client.verifyMfaChange({
      userId: 'alice',
      sessionId: session.sessionId,
      otp: codeSent(),
    })
    const expected = {
      userId: 'alice',
      mfaMethod: 'email',
      email: 'Alice@example.com',
      phoneNumber: null,
      updatedAt: new Date(T0),
    }
    expect(credentials).toEqual(expected)
    await expect(h.client.getUserCredentials('alice')).resolves.toEqual(expected)
    expect(h.events.filter((e) => e.type === 'mfa_changed')).toEqual([
      { type: 'mfa_changed', spId: SP_ID, userId: 'alice', method: 'email' },
    ])
    // Single use: the same code and session cannot be used again.
    await expect(
      h.client.verifyMfaChange({ userId: 'alice', sessionId: session.sessionId, otp: h.sent[0]!.code }),
    ).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' })
  })

  it('enrols SMS', async () => {
    h = await startHarness()
    const session = await h.client.initiateMfaChange({
      userId: 'bob',
      method: MfaMethod.Sms,
      phoneNumber: '+15551234567',
    })
    expect(h.sent[0]).toMatchObject({ method: 'sms', to: '+15551234567' })
    await expect(
      h.client.verifyMfaChange({ userId: 'bob', sessionId: session.sessionId, otp: codeSent() }),
    ).resolves.toMatchObject({
      mfaMethod: 'sms',
      phoneNumber: '+15551234567',
      email: null,
    })
  })

  it('enrols TOTP: otpauth URI and secret once, RFC 6238 codes within one step, secret never returned again', async () => {
    h = await startHarness()
    await expect(h.client.getUserCredentials('carol')).resolves.toEqual({
      userId: 'carol',
      mfaMethod: null,
      email: null,
      phoneNumber: null,
      updatedAt: null,
    })
    const session = await h.client.initiateMfaChange({ userId: 'carol', method: MfaMethod.Totp })
    expect(h.sent).toHaveLength(0)
    const { otpauthUri, secret } = session.totp!
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const uri = new URL(otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/Example IdP:carol')
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret,
      issuer: 'Example IdP',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    })
    const key = base32Decode(secret)
    const now = T0 / 1000
    // Two steps away is refused (and counts as a wrong attempt); the previous step is accepted.
    await expect(
      h.client.verifyMfaChange({
        userId: 'carol',
        sessionId: session.sessionId,
        otp: await generateTotp(key, now - 60),
      }),
    ).rejects.toMatchObject({ code: 'ERR_OTP_INVALID', attemptsRemaining: 4 })
    const credentials = await h.client.verifyMfaChange({
      userId: 'carol',
      sessionId: session.sessionId,
      otp: await generateTotp(key, now - 30),
    })
    expect(credentials).toMatchObject({ mfaMethod: 'totp', email: null, phoneNumber: null })
    const read = await h.client.getUserCredentials('carol')
    expect(JSON.stringify([credentials, read])).not.toContain(secret)
  })

  it('names the TOTP issuer after the host name of baseUrl by default, without its port', async () => {
    h = await startHarness({ totp: undefined })
    const session = await h.client.initiateMfaChange({ userId: 'olga', method: MfaMethod.Totp })
    const uri = new URL(session.totp?.otpauthUri as string)
    expect(new URL(h.baseUrl).port).not.toBe('')
    expect(uri.pathname).toBe('/127.0.0.1:olga')
    expect(uri.searchParams.get('issuer')).toBe('127.0.0.1')
  })

  it('closes a session after the attempt limit, and then refuses even the right code', async () => {
    h = await startHarness()
    const session = await h.client.initiateMfaChange({
      userId: 'dave',
      method: MfaMethod.Email,
      email: 'dave@example.com',
    })
    const right = codeSent()
    for (const remaining of [4, 3, 2, 1]) {
      const error = await h.client
        .verifyMfaChange({ userId: 'dave', sessionId: session.sessionId, otp: wrong(right) })
        .catch((e) => e)
      expect(error).toBeInstanceOf(DelegationRefusedError)
      expect(error).toMatchObject({ code: 'ERR_OTP_INVALID', attemptsRemaining: remaining })
    }
    await expect(
      h.client.verifyMfaChange({ userId: 'dave', sessionId: session.sessionId, otp: wrong(right) }),
    ).rejects.toMatchObject({
      code: 'ERR_TOO_MANY_ATTEMPTS',
      status: 429,
    })
    await expect(
      h.client.verifyMfaChange({ userId: 'dave', sessionId: session.sessionId, otp: right }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    })
    await expect(h.client.getUserCredentials('dave')).resolves.toMatchObject({ mfaMethod: null })
  })

  it('expires sessions, replaces a user’s pending session, and hides other users’ sessions', async () => {
    h = await startHarness()
    const first = await h.client.initiateMfaChange({
      userId: 'erin',
      method: MfaMethod.Email,
      email: 'erin@example.com',
    })
    const firstCode = codeSent()
    const second = await h.client.initiateMfaChange({
      userId: 'erin',
      method: MfaMethod.Sms,
      phoneNumber: '+4930123456',
    })
    await expect(
      h.client.verifyMfaChange({ userId: 'erin', sessionId: first.sessionId, otp: firstCode }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    })
    await expect(
      h.client.verifyMfaChange({ userId: 'frank', sessionId: second.sessionId, otp: codeSent() }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    })
    h.clock.now += 601_000
    await expect(
      h.client.verifyMfaChange({ userId: 'erin', sessionId: second.sessionId, otp: codeSent() }),
    ).rejects.toMatchObject({
      code: 'ERR_SESSION_EXPIRED',
    })
    await expect(h.client.getUserCredentials('erin')).resolves.toMatchObject({ mfaMethod: null })
  })

  it('answers a failed delivery with ERR_OTP_DELIVERY_FAILED and keeps no session', async () => {
    h = await startHarness({
      senders: {
        email: async () => {
          throw new Error('SMTP 550')
        },
      },
      totp: false,
    })
    await expect(
      h.client.initiateMfaChange({ userId: 'gina', method: MfaMethod.Email, email: 'gina@example.com' }),
    ).rejects.toMatchObject({
      code: 'ERR_OTP_DELIVERY_FAILED',
    })
    expect(h.writes).toEqual(['replay', 'putSession gina email', 'takeSession'])
    await expect(
      h.client.initiateMfaChange({ userId: 'gina', method: MfaMethod.Sms, phoneNumber: '+15551234567' }),
    ).rejects.toMatchObject({
      code: 'ERR_MFA_METHOD_UNSUPPORTED',
    })
    await expect(
      h.client.initiateMfaChange({ userId: 'gina', method: MfaMethod.Totp }),
    ).rejects.toMatchObject({
      code: 'ERR_MFA_METHOD_UNSUPPORTED',
    })
    expect(h.events.some((e) => e.type === 'failure' && e.code === 'ERR_OTP_DELIVERY_FAILED')).toBe(true)
  })

  it('keeps codes, TOTP secrets and keys out of events, errors and answers', async () => {
    h = await startHarness()
    const seen: unknown[] = []
    const attempt = (promise: Promise<unknown>) =>
      promise.then(
        (value) => seen.push(value),
        (error) => seen.push(error),
      )
    const email = await h.client.initiateMfaChange({
      userId: 'hank',
      method: MfaMethod.Email,
      email: 'hank@example.com',
    })
    const code = codeSent()
    await attempt(h.client.verifyMfaChange({ userId: 'hank', sessionId: email.sessionId, otp: wrong(code) }))
    await attempt(h.client.verifyMfaChange({ userId: 'hank', sessionId: email.sessionId, otp: code }))
    const totp = await h.client.initiateMfaChange({ userId: 'hank', method: MfaMethod.Totp })
    const secret = totp.totp!.secret
    const totpCode = await generateTotp(base32Decode(secret), T0 / 1000)
    await attempt(
      h.client.verifyMfaChange({ userId: 'hank', sessionId: totp.sessionId, otp: wrong(totpCode) }),
    )
    await attempt(h.client.verifyMfaChange({ userId: 'hank', sessionId: totp.sessionId, otp: totpCode }))
    await attempt(h.client.getUserCredentials('hank'))
    const text = (value: unknown) =>
      value instanceof Error
        ? `${value.name} ${value.message} ${value.stack} ${JSON.stringify(value)}`
        : JSON.stringify(value)
    const visible = [...h.events, ...seen].map(text).join('\n')
    const keyBodies = [h.sp, h.idp].flatMap((keys) =>
      Object.values(keys).map((pem) => pem.split('\n')[1] as string),
    )
    for (const secretValue of [code, wrong(code), secret, totpCode, wrong(totpCode), ...keyBodies]) {
      expect(visible).not.toContain(secretValue)
    }
    // The store never holds the email code itself.
    expect(JSON.stringify(await h.store.getCredentials(SP_ID, 'hank'))).not.toContain(code)
  })

  it('answers a store outage with a sealed server_error, and a replay-cache outage with 503 before any operation', async () => {
    const failing = createMemoryDelegationStore()
    failing.getCredentials = async () => {
      throw new Error('db down: password=hunter2')
    }
    h = await startHarness({ store: failing })
    const error = await h.client.getUserCredentials('ivan').catch((e) => e)
    expect(error).toMatchObject({ code: 'ERR_DELEGATION_SERVER_ERROR' })
    expect(JSON.stringify(error) + error.message).not.toContain('hunter2')
    expect(h.events.find((e) => e.type === 'failure')).toMatchObject({
      code: 'ERR_DELEGATION_SERVER_ERROR',
      spId: SP_ID,
    })
    await h.close()

    h = await startHarness({
      replayStore: {
        consume: async () => {
          throw new Error('redis down')
        },
      },
    })
    await expect(
      h.client.initiateMfaChange({ userId: 'ivan', method: MfaMethod.Email, email: 'ivan@example.com' }),
    ).rejects.toMatchObject({ code: 'ERR_DELEGATION_UNAVAILABLE', status: 503 })
    expect(h.sent).toHaveLength(0)
    expect(h.writes).toEqual([])
  })
})
