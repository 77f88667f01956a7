import type { DPoPKey } from '../dpop/dpop-key.js'
import { ConfigurationError, RemoteResponseError } from '../errors.js'
import { type ClientContext, callEndpoint, endpointOf } from './back-channel.js'
import { resourceParams, type ScopeInput, scopeParam } from './grants.js'
import { createPkcePair, randomToken } from './pkce.js'
import { dpopKeyFor, type TokenContext } from './token-request.js'

export { type CallbackOptions, handleAuthorizationCallback } from './callback.js'

/** What `authorizationUrl` needs beyond the token context. */
export interface AuthorizationContext extends TokenContext {
  /** Send the request through PAR (RFC 9126). */
  readonly pushedAuthorizationRequests: boolean
}

export interface AuthorizationUrlParams {
  /** Default: the client's `redirectUri`; one of the two is required. */
  redirectUri?: string
  /** Default: `openid`. A scope with `openid` makes it an OpenID Connect request (nonce, ID token). */
  scope?: ScopeInput
  /**
   * PKCE S256. Default: true. `false` is for confidential clients of servers without PKCE support;
   * a public client (`None()`) cannot turn it off.
   */
  pkce?: boolean
  /** OpenID Connect `prompt` (`login`, `consent`, `none`, `select_account`). Default: not sent. */
  prompt?: string
  /** OpenID Connect `login_hint`. Default: not sent. */
  loginHint?: string
  /** OpenID Connect `max_age` in seconds: `auth_time` is then required and checked. Default: not sent. */
  maxAge?: number
  /** RFC 8707 resource indicator(s), absolute URIs without fragment. Default: not sent. */
  resource?: string | readonly string[]
  /**
   * Extra parameters (`audience`, `acr_values`, `ui_locales`...). Default: none. They cannot
   * override the protocol ones; `response_mode` may only be `query` or `form_post`, the two
   * modes `handleCallback` reads.
   */
  extraParams?: Record<string, string>
  /**
   * The DPoP key of this login, when it is not the client's own `dpop` key (a key per web
   * session): its thumbprint is sent as `dpop_jkt` (RFC 9449 §10), so the code can be redeemed
   * only with a proof by this key; pass the same key to `handleCallback`. Default: the client's
   * key, if any.
   */
  dpopKey?: DPoPKey
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
  /** The thumbprint sent as `dpop_jkt`, when the request was bound to a DPoP key. */
  dpopJkt?: string
}

/** The values kept from {@link AuthorizationRequest}, checked against the callback. */
export type ExpectedAuthorization = Omit<AuthorizationRequest, 'url'>

export interface EndSessionParams {
  /** The ID token of the session being ended (recommended by RP-Initiated Logout 1.0). Default: not sent. */
  idTokenHint?: string
  /** Where the provider sends the user afterwards; must be registered. Default: not sent. */
  postLogoutRedirectUri?: string
  /** Echoed back to `postLogoutRedirectUri`. Default: not sent. */
  state?: string
  /** Hint of the user to log out (RP-Initiated Logout 1.0 `logout_hint`). Default: not sent. */
  logoutHint?: string
}

/** Parameters the client computes itself: `extraParams` may not replace them. */
const PROTOCOL_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'login_hint',
  'max_age',
  'resource',
  'dpop_jkt',
  // Would replace the whole request with one the client did not check.
  'request',
  'request_uri',
])
const READABLE_RESPONSE_MODES = new Set(['query', 'form_post'])

/** An absolute URI without fragment (RFC 6749 §3.1.2, RFC 8707 §2). Custom schemes are fine (RFC 8252). */
function absoluteUri(value: unknown, option: string): string {
  if (typeof value !== 'string' || !URL.canParse(value) || value.includes('#')) {
    throw new ConfigurationError(`"${option}" must be an absolute URI without a fragment`)
  }
  return value
}

function checkExtraParams(extra: Record<string, string> | undefined): Record<string, string> {
  if (extra === undefined) return {}
  if (typeof extra !== 'object' || extra === null)
    throw new ConfigurationError('"extraParams" must be an object')
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new ConfigurationError(`"extraParams.${name}" must be a string`)
    if (PROTOCOL_PARAMS.has(name)) {
      throw new ConfigurationError(`"extraParams" cannot set "${name}": it is computed by the client`)
    }
    if (name === 'response_mode' && !READABLE_RESPONSE_MODES.has(value)) {
      throw new ConfigurationError('"extraParams.response_mode" must be "query" or "form_post"')
    }
  }
  return extra
}

/**
 * Pushes authorization request parameters (RFC 9126 §2.1) with client authentication and returns
 * the `request_uri` that stands for them. The request is always form-encoded, whatever the
 * client's token request format: RFC 9126 defines no other encoding. Success is HTTP 201 (§2.2).
 */
async function pushAuthorizationRequest(
  ctx: ClientContext,
  params: Record<string, string | readonly string[] | undefined>,
  dpopKey: DPoPKey | undefined,
): Promise<string> {
  const body = await callEndpoint(ctx, {
    url: endpointOf(ctx, 'pushed_authorization_request_endpoint'),
    what: 'The pushed authorization request endpoint',
    params,
    format: 'form',
    okStatus: [201],
    // RFC 9449 §10.1: a proof at the PAR endpoint binds the code like `dpop_jkt` (same key).
    ...(dpopKey === undefined ? {} : { dpop: dpopKey }),
  })
  const requestUri = body['request_uri']
  if (typeof requestUri !== 'string' || requestUri.length === 0) {
    throw new RemoteResponseError(
      'ERR_PAR_RESPONSE_INVALID',
      'The pushed authorization response has no "request_uri"',
    )
  }
  const expiresIn = body['expires_in']
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0) {
    throw new RemoteResponseError(
      'ERR_PAR_RESPONSE_INVALID',
      'The pushed authorization response "expires_in" is not a positive integer',
    )
  }
  return requestUri
}

/**
 * Builds an authorization code request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1): a fresh
 * `state` always, a `nonce` for OpenID Connect, PKCE S256 by default (RFC 9700 §2.1.1). With PAR
 * the parameters are pushed first and the URL carries only `client_id` and `request_uri`.
 */
export async function buildAuthorizationUrl(
  ctx: AuthorizationContext,
  params: AuthorizationUrlParams,
): Promise<AuthorizationRequest> {
  const redirectUri = params.redirectUri ?? ctx.redirectUri
  if (redirectUri === undefined) {
    throw new ConfigurationError('A "redirectUri" is required (in the client options or the call)')
  }
  absoluteUri(redirectUri, 'redirectUri')
  const { maxAge } = params
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0)) {
    throw new ConfigurationError('"maxAge" must be a non-negative integer number of seconds')
  }
  const resources = params.resource === undefined ? [] : [params.resource].flat()
  for (const resource of resources) absoluteUri(resource, 'resource')
  const pkce = params.pkce !== false
  if (!pkce && ctx.auth.method === 'none') {
    // A public client has no secret: PKCE is the only thing binding the code to it.
    throw new ConfigurationError('A public client cannot turn PKCE off')
  }
  const extra = checkExtraParams(params.extraParams)
  const scope = scopeParam(params.scope) ?? 'openid'
  const state = randomToken(32)
  const nonce = scope.split(' ').includes('openid') ? randomToken(32) : undefined
  const pair = pkce ? await createPkcePair() : undefined
  const dpopKey = await dpopKeyFor(ctx, params.dpopKey)

  const request: Record<string, string | readonly string[] | undefined> = {
    ...extra,
    response_type: 'code',
    client_id: ctx.clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: pair?.codeChallenge,
    code_challenge_method: pair?.codeChallengeMethod,
    prompt: params.prompt,
    login_hint: params.loginHint,
    max_age: maxAge === undefined ? undefined : String(maxAge),
    ...resourceParams(params.resource),
    dpop_jkt: dpopKey?.thumbprint,
  }
  const authorizationEndpoint = endpointOf(ctx, 'authorization_endpoint')
  const url = new URL(authorizationEndpoint)
  if (ctx.pushedAuthorizationRequests) {
    const requestUri = await pushAuthorizationRequest(ctx, request, dpopKey)
    url.searchParams.set('client_id', ctx.clientId)
    url.searchParams.set('request_uri', requestUri)
  } else {
    for (const [name, value] of Object.entries(request)) {
      if (typeof value === 'string') url.searchParams.append(name, value)
      else if (value !== undefined) for (const item of value) url.searchParams.append(name, item)
    }
  }
  return {
    url,
    state,
    redirectUri,
    ...(nonce === undefined ? {} : { nonce }),
    ...(pair === undefined ? {} : { codeVerifier: pair.codeVerifier }),
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(dpopKey === undefined ? {} : { dpopJkt: dpopKey.thumbprint }),
  }
}

/**
 * The RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0 §2): `client_id` always,
 * so the provider can check `post_logout_redirect_uri` even without an `id_token_hint`.
 */
export function buildEndSessionUrl(ctx: AuthorizationContext, params: EndSessionParams): URL {
  const url = new URL(endpointOf(ctx, 'end_session_endpoint'))
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  set('id_token_hint', params.idTokenHint)
  set(
    'post_logout_redirect_uri',
    params.postLogoutRedirectUri === undefined
      ? undefined
      : absoluteUri(params.postLogoutRedirectUri, 'postLogoutRedirectUri'),
  )
  set('state', params.state)
  set('logout_hint', params.logoutHint)
  set('client_id', ctx.clientId)
  return url
}
