/**
 * The OAuth flows a client may be allowed to use, with user-friendly names (crossauth's
 * `OAuthFlows`): an authorization server's client registry records which ones each client has.
 */
export const OAuthFlows = {
  /** Every flow below. */
  All: 'all',
  AuthorizationCode: 'authorizationCode',
  AuthorizationCodeWithPKCE: 'authorizationCodeWithPKCE',
  ClientCredentials: 'clientCredentials',
  RefreshToken: 'refresh_token',
  DeviceCode: 'device_code',
  Password: 'password',
  PasswordMfa: 'passwordMfa',
  OidcAuthorizationCode: 'oidcAuthorizationCode',
} as const

export type OAuthFlow = (typeof OAuthFlows)[keyof typeof OAuthFlows]

/** A user-friendly name for each flow (not for `all`). */
export const OAuthFlowNames: Readonly<Record<Exclude<OAuthFlow, 'all'>, string>> = Object.freeze({
  authorizationCode: 'Authorization Code',
  authorizationCodeWithPKCE: 'Authorization Code with PKCE',
  clientCredentials: 'Client Credentials',
  refresh_token: 'Refresh Token',
  device_code: 'Device Code',
  password: 'Password',
  passwordMfa: 'Password MFA',
  oidcAuthorizationCode: 'OIDC Authorization Code',
})

const FLOWS: ReadonlySet<string> = new Set(Object.values(OAuthFlows))

/** True for a known flow identifier. */
export function isValidFlow(flow: unknown): flow is OAuthFlow {
  return typeof flow === 'string' && FLOWS.has(flow)
}

/** True only when every element is a known flow identifier (an empty list is valid). */
export function areValidFlows(flows: readonly unknown[]): flows is readonly OAuthFlow[] {
  return Array.isArray(flows) && flows.every(isValidFlow)
}

/** The user-friendly names of the given flows, keyed by flow; `all` expands to every flow. */
export function flowNames(flows: readonly OAuthFlow[]): Partial<Record<Exclude<OAuthFlow, 'all'>, string>> {
  const names: Partial<Record<Exclude<OAuthFlow, 'all'>, string>> = {}
  const expanded = flows.includes(OAuthFlows.All) ? (Object.keys(OAuthFlowNames) as OAuthFlow[]) : flows
  for (const flow of expanded) if (flow !== 'all') names[flow] = OAuthFlowNames[flow]
  return names
}
