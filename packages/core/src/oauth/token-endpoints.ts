import type { ClientContext } from './back-channel.js'

/** Sentinel for `userinfo` when the caller deliberately does not know the expected subject. */
export const skipSubjectCheck: unique symbol = Symbol('skipSubjectCheck')

/** Userinfo claims (OpenID Connect Core §5.3.2); `sub` is always present and checked. */
export interface UserinfoClaims {
  sub: string
  [claim: string]: unknown
}

/** An introspection response (RFC 7662 §2.2). When `active` is false nothing else is meaningful. */
export interface IntrospectionResponse {
  active: boolean
  scope?: string
  client_id?: string
  username?: string
  token_type?: string
  exp?: number
  iat?: number
  nbf?: number
  sub?: string
  aud?: string | string[]
  iss?: string
  jti?: string
  [field: string]: unknown
}

export type TokenTypeHint = 'access_token' | 'refresh_token'

export async function fetchUserinfo(
  _ctx: ClientContext,
  _accessToken: string,
  _expectedSub: string | typeof skipSubjectCheck,
): Promise<UserinfoClaims> {
  throw new Error('fetchUserinfo: being written')
}

export async function revokeToken(
  _ctx: ClientContext,
  _token: string,
  _hint: TokenTypeHint | undefined,
): Promise<void> {
  throw new Error('revokeToken: being written')
}

export async function introspectToken(
  _ctx: ClientContext,
  _token: string,
  _hint: TokenTypeHint | undefined,
): Promise<IntrospectionResponse> {
  throw new Error('introspectToken: being written')
}
