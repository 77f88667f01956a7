import { describe, expect, it } from 'vitest'
import {
  checkMfaChangeTarget,
  checkOtp,
  checkSessionId,
  checkUserId,
  DelegationInputError,
  MfaMethod,
  normalizeEmail,
  normalizePhoneNumber,
} from '../src/delegation/index.js'

describe('delegation input validation', () => {
  it('normalises emails with NFKC and a lower-case domain', () => {
    expect(normalizeEmail('Bob.Smith+mfa@Example.COM')).toBe('Bob.Smith+mfa@example.com')
    expect(normalizeEmail('ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('bob@example.com')
    expect(normalizeEmail('user@xn--bcher-kva.example')).toBe('user@xn--bcher-kva.example')
  })

  it.each([
    'plain',
    '@example.com',
    'a@b',
    'a@@example.com',
    'a..b@example.com',
    '.a@example.com',
    'a b@example.com',
    '"quoted"@example.com',
    'a@exa_mple.com',
    'a@-example.com',
    'a@example.c',
    'a@[127.0.0.1]',
    'a@bücher.example',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(250)}.com`,
    'a@example.com\n',
  ])('refuses the email %j', (value) => {
    expect(() => normalizeEmail(value)).toThrow(
      expect.objectContaining({ code: 'ERR_EMAIL_INVALID', field: 'email' }),
    )
  })

  it('accepts E.164 numbers only (NFKC first), never repairing them', () => {
    expect(normalizePhoneNumber('+15551234567')).toBe('+15551234567')
    expect(normalizePhoneNumber('＋１５５５１２３４５６７')).toBe('+15551234567')
    for (const bad of [
      '15551234567',
      '+1 555 123 4567',
      '+1(555)1234567',
      '+0123456',
      '+1',
      '+1234567890123456',
      '+١٢٣٤٥٦٧',
      5551234567,
    ]) {
      expect(() => normalizePhoneNumber(bad), String(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_PHONE_NUMBER_INVALID' }),
      )
    }
  })

  it('accepts six ASCII digits as an OTP, nothing else', () => {
    expect(checkOtp('012345')).toBe('012345')
    for (const bad of ['12345', '1234567', '12345a', ' 123456', '１２３４５６', '١٢٣٤٥٦', 123456]) {
      expect(() => checkOtp(bad), String(bad)).toThrow(expect.objectContaining({ code: 'ERR_OTP_MALFORMED' }))
    }
  })

  it('checks user ids and session ids', () => {
    expect(checkUserId('alice@example.com')).toBe('alice@example.com')
    // A surrogate pair is text (one emoji); a lone surrogate is not.
    expect(checkUserId('alice\u{1F600}')).toBe('alice\u{1F600}')
    for (const bad of ['', ' alice', 'a\u0000b', 'x'.repeat(257), 42, 'a\ud800b', 'a\udc00', '\ud83d']) {
      expect(() => checkUserId(bad)).toThrow(expect.objectContaining({ code: 'ERR_USER_ID_INVALID' }))
    }
    expect(checkSessionId('a'.repeat(43))).toHaveLength(43)
    for (const bad of ['short', 'a'.repeat(129), 'a+b/c='.repeat(5)]) {
      expect(() => checkSessionId(bad)).toThrow(expect.objectContaining({ code: 'ERR_SESSION_ID_INVALID' }))
    }
  })

  it('requires exactly the destination of each method', () => {
    expect(checkMfaChangeTarget({ method: MfaMethod.Totp })).toEqual({ method: 'totp' })
    expect(checkMfaChangeTarget({ method: MfaMethod.Sms, phoneNumber: '+4930123456' })).toEqual({
      method: 'sms',
      phoneNumber: '+4930123456',
    })
    const cases: [Parameters<typeof checkMfaChangeTarget>[0], string][] = [
      [{ method: 'fax' as MfaMethod }, 'ERR_MFA_METHOD_INVALID'],
      [{ method: MfaMethod.Email }, 'ERR_EMAIL_INVALID'],
      [{ method: MfaMethod.Sms }, 'ERR_PHONE_NUMBER_INVALID'],
      [
        { method: MfaMethod.Email, email: 'a@example.com', phoneNumber: '+15551234567' },
        'ERR_MFA_TARGET_INVALID',
      ],
      [{ method: MfaMethod.Totp, email: 'a@example.com' }, 'ERR_MFA_TARGET_INVALID'],
    ]
    for (const [target, code] of cases) {
      const error = (() => {
        try {
          checkMfaChangeTarget(target)
        } catch (e) {
          return e
        }
      })()
      expect(error).toBeInstanceOf(DelegationInputError)
      expect(error).toMatchObject({ code, status: 400 })
    }
  })
})
