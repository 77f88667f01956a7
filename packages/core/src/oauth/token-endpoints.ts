import type { DPoPKey } from '../dpop/dpop-key.js'
import { ConfigurationError, RemoteResponseError } from '../errors.js'
import type { HttpOptions } from '../lib/fetch-json.js'
import { type ClientContext, callEndpoint, endpointOf } from './back-channel.js'
import { dpopKeyFor } from './token-request.js'
import type { TokenSet } from './token-set.js'

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

/** Per-call options of `userinfo`. */
export interface UserinfoOptions {
  /** The DPoP key the access token is bound to, when it is not the client's own. Default: the client's key. */
  dpopKey?: DPoPKey
}

export type TokenTypeHint = 'access_token' | 'refresh_token'

// OpenID Connect Core §5.3.2: a client registered with `userinfo_signed_response_alg` gets a JWT.
const SIGNED_USERINFO = /^application\/jwt\s*(?:;|$)/i
const STRING_FIELDS = ['scope', 'client_id', 'username', 'token_type', 'sub', 'iss', 'jti'] as const
const NUMBER_FIELDS = ['exp', 'iat', 'nbf'] as const

function requireToken(token: unknown, what: string): string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new ConfigurationError(`${what} needs the token (a non-empty string)`)
  }
  return token
}

function checkHint(hint: unknown): TokenTypeHint | undefined {
  if (hint === undefined || hint === 'access_token' || hint === 'refresh_token') return hint
  throw new ConfigurationError('"token_type_hint" must be "access_token" or "refresh_token"')
}

/**
 * The client's HTTP options with a `fetch` that refuses a signed userinfo response by its content
 * type, so the caller learns why instead of a generic "did not answer JSON".
 */
function refusingSignedUserinfo(http: HttpOptions): HttpOptions {
  const base = http.fetch ?? globalThis.fetch
  const guarded: typeof fetch = async (input, init) => {
    const response = await base(input, init)
    if (response.ok && SIGNED_USERINFO.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel().catch(() => {})
      throw new RemoteResponseError(
        'ERR_USERINFO_SIGNED',
        'The userinfo endpoint answered a signed JWT (application/jwt); only JSON userinfo is supported: ' +
          'register the client without "userinfo_signed_response_alg"',
      )
    }
    return response
  }
  return { ...http, fetch: guarded }
}

/**
 * Fetches the userinfo claims with the access token (OpenID Connect Core §5.3) and checks `sub`:
 * it must be a string equal to `expectedSub`, the ID token's subject, because §5.3.2 says a
 * mismatched answer must not be used (token substitution). `skipSubjectCheck` skips only the
 * equality, for a caller holding an access token without an ID token.
 */
export async function fetchUserinfo(
  ctx: ClientContext,
  tokens: string | TokenSet,
  expectedSub: string | typeof skipSubjectCheck,
  options: UserinfoOptions = {},
): Promise<UserinfoClaims> {
  const accessToken = requireToken(typeof tokens === 'string' ? tokens : tokens?.accessToken, 'userinfo')
  if (expectedSub !== skipSubjectCheck && (typeof expectedSub !== 'string' || expectedSub.length === 0)) {
    throw new ConfigurationError(
      'userinfo needs the expected subject (the ID token "sub"), or skipSubjectCheck',
    )
  }
  const dpopKey = await dpopKeyFor(ctx, options.dpopKey)
  // RFC 9449 §7.1: a DPoP-bound token is refused as Bearer; never downgrade it here either.
  if (dpopKey === undefined && typeof tokens !== 'string' && tokens.tokenType === 'DPoP') {
    throw new ConfigurationError(
      'This access token is DPoP-bound: pass its key ("dpopKey") or give the client its "dpop" key',
      { code: 'ERR_DPOP_KEY_REQUIRED' },
    )
  }
  const body = await callEndpoint(
    { ...ctx, http: refusingSignedUserinfo(ctx.http) },
    {
      url: endpointOf(ctx, 'userinfo_endpoint'),
      what: 'The userinfo endpoint',
      method: 'GET',
      bearer: accessToken,
      // With a key, a Bearer token of a token set stays Bearer: the key is not what it is bound to.
      ...(dpopKey === undefined || (typeof tokens !== 'string' && tokens.tokenType === 'Bearer')
        ? {}
        : { dpop: dpopKey }),
    },
  )
  const sub = body['sub']
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new RemoteResponseError('ERR_USERINFO_INVALID', 'The userinfo response has no "sub" string')
  }
  if (expectedSub !== skipSubjectCheck && sub !== expectedSub) {
    throw new RemoteResponseError(
      'ERR_USERINFO_SUB_MISMATCH',
      'The userinfo "sub" is not the subject of the ID token',
    )
  }
  return { ...body, sub }
}

/**
 * Revokes a token (RFC 7009 §2.1): an authenticated form POST of `token` and the optional
 * `token_type_hint`. A 200 answer, empty or JSON, is success; RFC 7009 §2.2 also answers 200 for
 * a token that was already invalid, so success does not say the token was live.
 */
export async function revokeToken(
  ctx: ClientContext,
  token: string,
  hint: TokenTypeHint | undefined,
): Promise<void> {
  await callEndpoint(ctx, {
    url: endpointOf(ctx, 'revocation_endpoint'),
    what: 'The revocation endpoint',
    params: { token: requireToken(token, 'revoke'), token_type_hint: checkHint(hint) },
    format: 'form',
    emptyOk: true,
  })
}

function invalidIntrospection(message: string): RemoteResponseError {
  return new RemoteResponseError('ERR_INTROSPECTION_INVALID', message)
}

/**
 * Introspects a token (RFC 7662 §2.1): an authenticated form POST. `active` must be a boolean and
 * the standard fields, when present, must have their RFC 7662 §2.2 types. An inactive token
 * yields `{ active: false }` alone: the RFC says nothing else about it is meaningful.
 */
export async function introspectToken(
  ctx: ClientContext,
  token: string,
  hint: TokenTypeHint | undefined,
): Promise<IntrospectionResponse> {
  const body = await callEndpoint(ctx, {
    url: endpointOf(ctx, 'introspection_endpoint'),
    what: 'The introspection endpoint',
    params: { token: requireToken(token, 'introspect'), token_type_hint: checkHint(hint) },
    format: 'form',
  })
  const active = body['active']
  if (typeof active !== 'boolean') {
    throw invalidIntrospection('The introspection response has no boolean "active"')
  }
  if (!active) return { active: false }
  for (const field of STRING_FIELDS) {
    if (body[field] !== undefined && typeof body[field] !== 'string') {
      throw invalidIntrospection(`The introspection response "${field}" is not a string`)
    }
  }
  for (const field of NUMBER_FIELDS) {
    if (body[field] !== undefined && typeof body[field] !== 'number') {
      throw invalidIntrospection(`The introspection response "${field}" is not a number`)
    }
  }
  const aud = body['aud']
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((item) => typeof item === 'string'))
  ) {
    throw invalidIntrospection('The introspection response "aud" is not a string or a list of strings')
  }
  return { ...body, active: true }
}
