import type { DPoPKey } from '../dpop/dpop-key.js'
import { JWTClaimValidationError } from '../errors.js'
import { LruCache } from '../lib/lru.js'
import { requestTokens, type TokenContext } from './token-request.js'
import type { IdTokenClaims, TokenSet } from './token-set.js'

export interface ClientCredentialsParams {
  /** Space-separated scopes, or a list. */
  scope?: string | readonly string[]
  /** RFC 8707 resource indicator(s): the API the token is for. */
  resource?: string | readonly string[]
  /** Auth0-style `audience` parameter (for servers without RFC 8707). */
  audience?: string
  /** Skip the client-side cache for this call (the fresh token is still cached). Default: false. */
  fresh?: boolean
}

export interface RefreshParams {
  /** Narrower scope for the new access token (RFC 6749 §6). */
  scope?: string | readonly string[]
  resource?: string | readonly string[]
  /**
   * Claims of the ID token of the original login. A refreshed ID token must keep their `iss`,
   * `sub`, `aud` (and `auth_time`, `azp`) (OpenID Connect Core §12.2). Taken from the token set
   * when one is passed to `refresh`.
   */
  idTokenClaims?: IdTokenClaims
  /**
   * The DPoP key the tokens are bound to, when it is not the client's own `dpop` key (a key per
   * web session). Default: the client's key, if any.
   */
  dpopKey?: DPoPKey
}

export interface PasswordParams {
  scope?: string | readonly string[]
  resource?: string | readonly string[]
  audience?: string
}

export type ScopeInput = string | readonly string[] | undefined

/** Scopes as the space-separated string the protocol sends; `undefined` stays undefined. */
export function scopeParam(scope: ScopeInput): string | undefined {
  if (scope === undefined) return undefined
  const list = typeof scope === 'string' ? scope.split(' ') : [...scope]
  const joined = list.filter((s) => s.length > 0).join(' ')
  return joined.length > 0 ? joined : undefined
}

/** RFC 8707 `resource`: one parameter per indicator (a list is sent as a repeated key). */
export function resourceParams(resource: string | readonly string[] | undefined): {
  resource?: string | readonly string[]
} {
  if (resource === undefined) return {}
  return { resource: typeof resource === 'string' ? resource : [...resource].sort() }
}

interface CachedToken {
  tokens: TokenSet
  /** Epoch ms after which the entry is not served. */
  until: number
}

/** Client-credentials grant with a bounded, single-flight client-side cache. */
export class ClientCredentialsGrant {
  readonly #ctx: TokenContext
  readonly #cache: LruCache<CachedToken> | undefined
  readonly #pending = new Map<string, Promise<TokenSet>>()
  readonly #skew: number

  constructor(ctx: TokenContext, cache: false | { maxEntries?: number; skew?: number } | undefined) {
    this.#ctx = ctx
    this.#cache = cache === false ? undefined : new LruCache(cache?.maxEntries ?? 100)
    this.#skew = (cache === false ? 0 : (cache?.skew ?? 30)) * 1000
  }

  request(params: ClientCredentialsParams = {}): Promise<TokenSet> {
    const scope = scopeParam(params.scope)
    const resource = resourceParams(params.resource)
    const key = JSON.stringify([
      this.#ctx.metadata.issuer,
      this.#ctx.clientId,
      // One indicator asks for the same token as a one-item list.
      resource.resource === undefined ? null : [resource.resource].flat(),
      params.audience ?? null,
      scope?.split(' ').sort().join(' ') ?? null,
    ])
    if (this.#cache !== undefined && !params.fresh) {
      const hit = this.#cache.get(key)
      if (hit !== undefined && hit.until > Date.now()) return Promise.resolve(hit.tokens)
      const inFlight = this.#pending.get(key)
      if (inFlight !== undefined) return inFlight
    }
    const request = requestTokens(this.#ctx, {
      grant_type: 'client_credentials',
      scope,
      audience: params.audience,
      ...resource,
    })
      .then((tokens) => {
        if (this.#cache !== undefined && tokens.expiresAt !== undefined) {
          const until = tokens.expiresAt * 1000 - this.#skew
          // Every caller of this key gets this same object: frozen, so none can change it for the others.
          if (until > Date.now()) this.#cache.set(key, { tokens: Object.freeze(tokens), until })
        }
        return tokens
      })
      .finally(() => {
        // A `fresh` call may have replaced this one as the request others join: leave that one.
        if (this.#pending.get(key) === request) this.#pending.delete(key)
      })
    this.#pending.set(key, request)
    return request
  }
}

// OpenID Connect Core §12.2: `iss` and `sub` are kept; `azp` is the same, or absent both times;
// `auth_time` may be left out of the new token (oidc-provider omits it unless asked), but if
// present it is still the time of the original login.
const KEPT_CLAIMS = ['iss', 'sub', 'azp'] as const

function sameAudience(a: IdTokenClaims['aud'], b: IdTokenClaims['aud']): boolean {
  const left = (Array.isArray(a) ? a : [a]).slice().sort()
  const right = (Array.isArray(b) ? b : [b]).slice().sort()
  return left.length === right.length && left.every((value, i) => value === right[i])
}

/**
 * Refresh grant (RFC 6749 §6). A rotated refresh token replaces the old one; when the server
 * sends none, the old one stays valid and is kept in the result. A refreshed ID token must
 * describe the same login as the original.
 */
export async function refreshGrant(
  ctx: TokenContext,
  refreshToken: string,
  params: RefreshParams,
): Promise<TokenSet> {
  const tokens = await requestTokens(
    ctx,
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      scope: scopeParam(params.scope),
      ...resourceParams(params.resource),
    },
    {},
    params.dpopKey,
  )
  tokens.refreshToken ??= refreshToken
  const before = params.idTokenClaims
  const after = tokens.claims
  if (before !== undefined && after !== undefined) {
    for (const claim of [...KEPT_CLAIMS, 'auth_time'] as const) {
      const optional = claim === 'auth_time' && (after[claim] === undefined || before[claim] === undefined)
      if (!optional && after[claim] !== before[claim]) {
        throw new JWTClaimValidationError(
          'ERR_JWT_REFRESH_MISMATCH',
          claim,
          `The refreshed ID token changed "${claim}"`,
        )
      }
    }
    if (!sameAudience(before.aud, after.aud)) {
      throw new JWTClaimValidationError(
        'ERR_JWT_REFRESH_MISMATCH',
        'aud',
        'The refreshed ID token changed "aud"',
      )
    }
  }
  return tokens
}

/**
 * Resource-owner password grant. Legacy: RFC 9700 §2.4 says it MUST NOT be used; it exists for
 * first-party migrations and Auth0's password-MFA. `mfa_required` rejects with `MfaRequiredError`.
 */
export function passwordGrant(
  ctx: TokenContext,
  username: string,
  password: string,
  params: PasswordParams,
): Promise<TokenSet> {
  return requestTokens(ctx, {
    grant_type: 'password',
    username,
    password,
    scope: scopeParam(params.scope),
    audience: params.audience,
    ...resourceParams(params.resource),
  })
}
