import type { ScopeInput } from './grants.js'
import type { TokenContext } from './token-request.js'
import type { TokenSet } from './token-set.js'

/** What `authorizationUrl` needs beyond the token context. */
export interface AuthorizationContext extends TokenContext {
  /** Send the request through PAR (RFC 9126). */
  readonly pushedAuthorizationRequests: boolean
}

export interface AuthorizationUrlParams {
  /** Default: the client's `redirectUri`. */
  redirectUri?: string
  /** Default: `openid`. A scope with `openid` makes it an OpenID Connect request (nonce, ID token). */
  scope?: ScopeInput
  /** PKCE S256. Default: true. `false` is for confidential clients of servers without PKCE support. */
  pkce?: boolean
  /** OpenID Connect `prompt` (`login`, `consent`, `none`, `select_account`). */
  prompt?: string
  loginHint?: string
  /** OpenID Connect `max_age` in seconds: `auth_time` is then required and checked. */
  maxAge?: number
  /** RFC 8707 resource indicator(s). */
  resource?: string | readonly string[]
  /** Extra parameters (`audience`, `acr_values`, `ui_locales`...); cannot override the protocol ones. */
  extraParams?: Record<string, string>
}

/** The URL to send the browser to, and the values to keep (server-side or in a sealed cookie) until the callback. */
export interface AuthorizationRequest {
  url: URL
  state: string
  /** Present for OpenID Connect requests. */
  nonce?: string
  /** Present when PKCE is used. A secret until the exchange. */
  codeVerifier?: string
  redirectUri: string
  maxAge?: number
}

/** The values kept from {@link AuthorizationRequest}, checked against the callback. */
export type ExpectedAuthorization = Omit<AuthorizationRequest, 'url'>

export interface EndSessionParams {
  idTokenHint?: string
  postLogoutRedirectUri?: string
  state?: string
}

export async function buildAuthorizationUrl(
  _ctx: AuthorizationContext,
  _params: AuthorizationUrlParams,
): Promise<AuthorizationRequest> {
  throw new Error('buildAuthorizationUrl: being written')
}

export async function handleAuthorizationCallback(
  _ctx: AuthorizationContext,
  _input: URL | string | Request,
  _expected: ExpectedAuthorization,
): Promise<TokenSet> {
  throw new Error('handleAuthorizationCallback: being written')
}

export function buildEndSessionUrl(_ctx: AuthorizationContext, _params: EndSessionParams): URL {
  throw new Error('buildEndSessionUrl: being written')
}
