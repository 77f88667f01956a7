import { describe, expect, it } from 'vitest'
import {
  authenticationRequirement,
  ConfigurationError,
  describeAuthError,
  InsufficientUserAuthenticationError,
  requireAuthentication,
  unmetAuthentication,
} from '../src/index.js'

const NOW = 1_800_000_000

describe('authenticationRequirement', () => {
  it('freezes a valid requirement and drops an empty one', () => {
    const requirement = authenticationRequirement({ acrValues: ['urn:mfa', 'phr'], maxAge: 0 })
    expect(requirement).toEqual({ acrValues: ['urn:mfa', 'phr'], maxAge: 0 })
    expect(Object.isFrozen(requirement)).toBe(true)
    expect(Object.isFrozen(requirement?.acrValues)).toBe(true)
    expect(authenticationRequirement({})).toBeUndefined()
    expect(authenticationRequirement(undefined)).toBeUndefined()
  })

  it.each([
    [{ acrValues: [] }],
    [{ acrValues: ['two words'] }],
    [{ acrValues: ['"quoted"'] }],
    [{ acrValues: [''] }],
    [{ acrValues: 'urn:mfa' }],
    [{ maxAge: -1 }],
    [{ maxAge: 1.5 }],
    [{ maxAge: Number.NaN }],
    [{ maxAge: 11 * 365 * 24 * 3600 }],
  ])('refuses %j at start-up', (requirement) => {
    expect(() => authenticationRequirement(requirement as never)).toThrow(ConfigurationError)
  })
})

describe('unmetAuthentication and requireAuthentication', () => {
  const strong = authenticationRequirement({ acrValues: ['urn:mfa'] })!
  const recent = authenticationRequirement({ maxAge: 300 })!

  it('compares acr exactly, and a missing or non-string acr never meets it', () => {
    expect(unmetAuthentication({ acr: 'urn:mfa' }, strong, NOW)).toBeUndefined()
    for (const acr of ['urn:MFA', 'urn:mfa ', undefined, ['urn:mfa'], 2]) {
      expect(unmetAuthentication({ acr }, strong, NOW)).toBe('A stronger authentication is required')
    }
  })

  it('compares auth_time with max_age at the boundary, with leeway', () => {
    expect(unmetAuthentication({ auth_time: NOW - 300 }, recent, NOW)).toBeUndefined()
    expect(unmetAuthentication({ auth_time: NOW - 301 }, recent, NOW)).toBe(
      'A more recent authentication is required',
    )
    expect(unmetAuthentication({ auth_time: NOW - 305 }, recent, NOW, 5)).toBeUndefined()
    for (const authTime of [undefined, '1800000000', Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(unmetAuthentication({ auth_time: authTime }, recent, NOW)).toMatch(/unknown/)
    }
  })

  it('throws the RFC 9470 error, whose challenge names acr_values and max_age', () => {
    const requirement = authenticationRequirement({ acrValues: ['urn:mfa', 'urn:hw'], maxAge: 60 })
    let caught: unknown
    try {
      requireAuthentication({ acr: 'urn:pwd', auth_time: NOW }, requirement, NOW)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(InsufficientUserAuthenticationError)
    const error = caught as InsufficientUserAuthenticationError
    expect(error.code).toBe('ERR_INSUFFICIENT_USER_AUTHENTICATION')
    const answer = describeAuthError(error, { realm: 'api' })
    expect(answer.status).toBe(401)
    expect(answer.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", ' +
        'error_description="A stronger authentication is required", acr_values="urn:mfa urn:hw", max_age="60"',
    )
    expect(answer.body).toEqual({
      error: 'insufficient_user_authentication',
      error_description: 'A stronger authentication is required',
    })
    expect(() =>
      requireAuthentication({ acr: 'urn:hw', auth_time: NOW - 10 }, requirement, NOW),
    ).not.toThrow()
    expect(() => requireAuthentication({}, undefined, NOW)).not.toThrow()
  })
})
