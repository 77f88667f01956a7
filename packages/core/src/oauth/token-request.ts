import type { DPoPKey } from '../dpop/dpop-key.js'
import { ConfigurationError, RemoteResponseError } from '../errors.js'
import { type ClientContext, callEndpoint, endpointOf } from './back-channel.js'
import type { IdTokenExpectations, IdTokenValidator } from './id-token.js'
import { parseTokenResponse, type TokenSet } from './token-set.js'

/** A client's context plus what token requests need beyond a plain back-channel call. */
export interface TokenContext extends ClientContext {
  /** Validates ID tokens; `undefined` when the server publishes no keys and none were configured. */
  readonly idTokens: IdTokenValidator | undefined
  readonly redirectUri: string | undefined
}

export interface TokenRequestChecks extends IdTokenExpectations {
  /** An ID token must be in the response (OpenID Connect code flow). */
  requireIdToken?: boolean
}

/** The key this call's DPoP proofs are signed with: the one given for the call, else the client's. */
export async function dpopKeyFor(
  ctx: ClientContext,
  given: DPoPKey | undefined,
): Promise<DPoPKey | undefined> {
  return given ?? (await ctx.dpopKey?.())
}

/** Verifies the response's ID token, when there is one, and attaches its claims. */
export async function withVerifiedIdToken(
  ctx: TokenContext,
  set: TokenSet,
  checks: TokenRequestChecks,
): Promise<TokenSet> {
  if (set.idToken === undefined) {
    if (checks.requireIdToken) {
      throw new RemoteResponseError('ERR_ID_TOKEN_MISSING', 'The token response has no ID token')
    }
    return set
  }
  if (ctx.idTokens === undefined) {
    throw new ConfigurationError(
      'The server returned an ID token but publishes no "jwks_uri": pass "idTokenKeys" to verify it',
    )
  }
  set.claims = await ctx.idTokens.validate(set.idToken, { ...checks, accessToken: set.accessToken })
  return set
}

/**
 * POSTs a grant to the token endpoint (client authentication, the client's request format, a DPoP
 * proof by `dpopKey` or the client's key) and returns the checked token set, its ID token
 * verified when present.
 */
export async function requestTokens(
  ctx: TokenContext,
  params: Record<string, string | readonly string[] | undefined>,
  checks: TokenRequestChecks = {},
  dpopKey?: DPoPKey,
): Promise<TokenSet> {
  const key = await dpopKeyFor(ctx, dpopKey)
  const body = await callEndpoint(ctx, {
    url: endpointOf(ctx, 'token_endpoint'),
    what: 'The token endpoint',
    params,
    ...(key === undefined ? {} : { dpop: key }),
  })
  return withVerifiedIdToken(ctx, parseTokenResponse(body, Date.now(), key !== undefined), checks)
}
