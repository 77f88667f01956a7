import { describe, expect, it } from 'vitest'
import { areValidFlows, flowNames, isValidFlow, OAuthFlowNames, OAuthFlows } from '../src/index.js'

// The identifiers and names of crossauth's `OAuthFlows` (crossauth_backend.oauth.client, the seed we
// replace), so client registries written for crossauth keep working.
const CROSSAUTH_FLOWS = {
  All: 'all',
  AuthorizationCode: 'authorizationCode',
  AuthorizationCodeWithPKCE: 'authorizationCodeWithPKCE',
  ClientCredentials: 'clientCredentials',
  RefreshToken: 'refresh_token',
  DeviceCode: 'device_code',
  Password: 'password',
  PasswordMfa: 'passwordMfa',
  OidcAuthorizationCode: 'oidcAuthorizationCode',
}
const CROSSAUTH_NAMES = {
  authorizationCode: 'Authorization Code',
  authorizationCodeWithPKCE: 'Authorization Code with PKCE',
  clientCredentials: 'Client Credentials',
  refresh_token: 'Refresh Token',
  device_code: 'Device Code',
  password: 'Password',
  passwordMfa: 'Password MFA',
  oidcAuthorizationCode: 'OIDC Authorization Code',
}

describe('OAuthFlows', () => {
  it('has the crossauth identifiers and user-friendly names', () => {
    expect(OAuthFlows).toEqual(CROSSAUTH_FLOWS)
    expect(OAuthFlowNames).toEqual(CROSSAUTH_NAMES)
    expect(Object.isFrozen(OAuthFlowNames)).toBe(true)
  })

  it('isValidFlow accepts exactly the identifiers', () => {
    for (const flow of Object.values(CROSSAUTH_FLOWS)) expect(isValidFlow(flow)).toBe(true)
    for (const flow of ['AuthorizationCode', 'refreshToken', 'deviceCode', 'implicit', '', 'toString']) {
      expect(isValidFlow(flow)).toBe(false)
    }
    for (const value of [undefined, null, 1, {}, ['password']]) expect(isValidFlow(value)).toBe(false)
  })

  it('areValidFlows is true only when every element is a flow', () => {
    expect(areValidFlows([])).toBe(true)
    expect(areValidFlows(['authorizationCode', 'clientCredentials'])).toBe(true)
    expect(areValidFlows(['all'])).toBe(true)
    expect(areValidFlows(['authorizationCode', 'implicit'])).toBe(false)
    expect(areValidFlows(['password', 42])).toBe(false)
    expect(areValidFlows('password' as unknown as unknown[])).toBe(false)
  })

  it('flowNames names the given flows, and every flow for "all"', () => {
    expect(flowNames([OAuthFlows.DeviceCode, OAuthFlows.PasswordMfa])).toEqual({
      device_code: 'Device Code',
      passwordMfa: 'Password MFA',
    })
    expect(flowNames([])).toEqual({})
    expect(flowNames([OAuthFlows.All])).toEqual(CROSSAUTH_NAMES)
    expect(flowNames([OAuthFlows.Password, OAuthFlows.All])).toEqual(CROSSAUTH_NAMES)
  })
})
