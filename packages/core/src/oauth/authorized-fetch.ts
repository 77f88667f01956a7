import { type DPoPKey, isDpopKey } from '../dpop/dpop-key.js'
import { challengeErrors, DpopNonces } from '../dpop/nonces.js'
import { ConfigurationError } from '../errors.js'
import { secureUrl } from '../lib/url.js'
import type { OAuthClient } from './client.js'
import { isReplayable, isRequest, type SendableToken, sendWithToken } from './token-sender.js'
import type { TokenSet } from './token-set.js'

export interface AuthorizedFetchOptions {
  /**
   * The client whose client-credentials grant supplies the tokens. Required. A client with a
   * `dpop` key gets DPoP-bound tokens, sent with proofs by that key.
   */
  client: Pick<OAuthClient, 'clientCredentials'> & Partial<Pick<OAuthClient, 'dpopKey'>>
  /** Scopes to ask for (space-separated, or a list). Default: none (the server's default). */
  scope?: string | readonly string[]
  /** RFC 8707 resource indicator(s) of the API called. Their origins are the default `allowedOrigins`. */
  resource?: string | readonly string[]
  /** Auth0-style `audience`, for servers without RFC 8707. */
  audience?: string
  /**
   * The only origins (`https://api.example.com`) the token is sent to; a request elsewhere is
   * refused before anything is sent. Default: the origins of `resource`; without `resource`
   * this option is required.
   */
  allowedOrigins?: readonly string[]
  /**
   * Seconds before expiry at which the token is renewed; capped at half the token's lifetime.
   * Default: 30.
   */
  renewBefore?: number
  /** Send the token over plain http to hosts other than loopback. Default: false. */
  allowInsecureRequests?: boolean
  /** `fetch` that sends the requests to the API. Default: the global `fetch`. */
  fetch?: typeof fetch
  /**
   * The DPoP key the client's tokens are bound to, when the client is not an `OAuthClient` with
   * its own `dpop` key. DPoP tokens go out as `Authorization: DPoP` with a `DPoP` proof (`ath`,
   * the API's latest `DPoP-Nonce`); a 401 `use_dpop_nonce` challenge is retried once with the new
   * nonce. A DPoP token is never sent as Bearer. Default: `client.dpopKey()`.
   */
  dpop?: DPoPKey
  /** Clock in epoch milliseconds (tests). Default: `Date.now`. */
  now?: () => number
}

/** What `createAuthorizedFetch` returns: called like `fetch`. */
export type AuthorizedFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

const KNOWN_OPTIONS = new Set([
  'client',
  'scope',
  'resource',
  'audience',
  'allowedOrigins',
  'renewBefore',
  'allowInsecureRequests',
  'fetch',
  'dpop',
  'now',
])

interface CachedToken extends SendableToken {
  /** Epoch ms (on `now`) from which a new token is fetched; Infinity when the server gave no lifetime. */
  renewAt: number
}

export function allowedOriginsOf(options: AuthorizedFetchOptions): ReadonlySet<string> {
  const insecure = options.allowInsecureRequests === true
  const origins = new Set<string>()
  if (options.allowedOrigins !== undefined) {
    if (!Array.isArray(options.allowedOrigins))
      throw new ConfigurationError('"allowedOrigins" must be a list')
    for (const entry of options.allowedOrigins) {
      const url = secureUrl(entry, 'allowedOrigins', insecure)
      // An origin, not a URL: a path would suggest a restriction this check does not make.
      if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
        throw new ConfigurationError(
          '"allowedOrigins" entries must be origins (scheme://host[:port]), no path',
        )
      }
      origins.add(url.origin)
    }
  } else {
    const resources = options.resource === undefined ? [] : [options.resource].flat()
    for (const resource of resources) {
      // A URN names an API but no host: it adds no origin.
      if (/^https?:/i.test(String(resource))) origins.add(secureUrl(resource, 'resource', insecure).origin)
    }
  }
  if (origins.size === 0) {
    throw new ConfigurationError(
      '"allowedOrigins" is required (or an http(s) "resource"): the hosts the token may be sent to',
    )
  }
  return origins
}

function checkOptions(options: AuthorizedFetchOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createAuthorizedFetch options are required')
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigurationError(`Unknown createAuthorizedFetch option "${key}"`)
  }
  if (typeof options.client?.clientCredentials !== 'function') {
    throw new ConfigurationError('"client" must be an OAuthClient')
  }
  if (options.dpop !== undefined && !isDpopKey(options.dpop)) {
    throw new ConfigurationError('"dpop" must be a DPoPKey (createDpopKey())')
  }
  const renewBefore = options.renewBefore
  if (renewBefore !== undefined && !(Number.isFinite(renewBefore) && renewBefore >= 0)) {
    throw new ConfigurationError('"renewBefore" must be a number of seconds, 0 or more')
  }
}

/**
 * RFC 7235 challenges: is there one of `scheme` (the one the token was sent with: `bearer` or
 * `dpop`) with `error="invalid_token"` (RFC 6750 §3.1, RFC 9449 §7.1)?
 */
export function isInvalidTokenChallenge(
  header: string | null,
  scheme: 'bearer' | 'dpop' = 'bearer',
): boolean {
  return challengeErrors(header).get(scheme) === 'invalid_token'
}

/**
 * A `fetch` that sends a client-credentials access token to one API: the token is cached,
 * renewed `renewBefore` seconds before it expires (one request shared by concurrent callers; a
 * failed one is not kept), and a `401` with a Bearer (or DPoP) `error="invalid_token"` challenge is
 * retried once with a new token when the body can be sent again. A DPoP-bound token goes out as
 * `Authorization: DPoP` with a fresh proof per request, and a `use_dpop_nonce` challenge carrying
 * a new nonce is retried once with it. The token goes only to
 * `allowedOrigins`, over https (or loopback http), in the `Authorization` header, and never into
 * an error message. Options are checked here.
 */
export function createAuthorizedFetch(options: AuthorizedFetchOptions): AuthorizedFetch {
  checkOptions(options)
  const allowed = allowedOriginsOf(options)
  const { client, scope, resource, audience } = options
  const renewBefore = (options.renewBefore ?? 30) * 1000
  const now = options.now ?? Date.now
  let cached: CachedToken | undefined
  let pending: Promise<CachedToken> | undefined
  // The APIs' nonces: this fetch sends to `allowedOrigins` only, a handful.
  const nonces = new DpopNonces(Math.max(allowed.size, 1) * 2)

  /** The key a token of this type is sent with; a DPoP token without one is never sent (as Bearer). */
  const keyFor = async (tokens: TokenSet): Promise<DPoPKey | undefined> => {
    if (tokens.tokenType !== 'DPoP') return undefined
    const key = options.dpop ?? (await client.dpopKey?.())
    if (key === undefined) {
      throw new ConfigurationError(
        'The client got a DPoP-bound token but no DPoP key is known: pass "dpop" (its key)',
        { code: 'ERR_DPOP_KEY_REQUIRED' },
      )
    }
    return key
  }

  const renew = (): Promise<CachedToken> => {
    if (pending !== undefined) return pending
    const started = now()
    // `fresh`: this cache decides when to renew; the client's own cache (real clock, its own
    // skew) would hand back the very token being replaced.
    const request = client
      .clientCredentials({
        fresh: true,
        ...(scope === undefined ? {} : { scope }),
        ...(resource === undefined ? {} : { resource }),
        ...(audience === undefined ? {} : { audience }),
      })
      .then(async (tokens: TokenSet) => {
        const lifetime = tokens.expiresIn === undefined ? Infinity : tokens.expiresIn * 1000
        // Counted from when the request left, so the local expiry is never later than the server's.
        const token = {
          value: tokens.accessToken,
          dpop: await keyFor(tokens),
          renewAt: started + lifetime - Math.min(renewBefore, lifetime / 2),
        }
        cached = token
        return token
      })
      .finally(() => {
        pending = undefined
      })
    pending = request
    return request
  }

  const currentToken = (): Promise<CachedToken> =>
    cached !== undefined && now() < cached.renewAt ? Promise.resolve(cached) : renew()

  const sendDpop = (
    input: string | URL | Request,
    init: RequestInit | undefined,
    token: CachedToken,
    replayable: boolean,
  ) => sendWithToken(options.fetch ?? globalThis.fetch, nonces, input, init, token, replayable)

  return async function authorizedFetch(input, init) {
    // By tag, not instanceof: a polyfilled or framework Request (NextRequest) passes too.
    const url = new URL(isRequest(input) ? input.url : String(input))
    // Checked on the URL about to be requested, before a token is even fetched. An origin
    // includes the scheme, and every allowed origin passed allowedOriginsOf's https-or-loopback
    // check: plain http to an https API's host is refused here too.
    if (!allowed.has(url.origin)) {
      const message = `Refusing to send the access token to ${url.origin}: not in allowedOrigins`
      throw new ConfigurationError(message, { code: 'ERR_ORIGIN_NOT_ALLOWED' })
    }
    const replayable = isReplayable(input, init)
    const token = await currentToken()
    const response = await sendDpop(input, init, token, replayable)
    if (
      response.status !== 401 ||
      !replayable ||
      !isInvalidTokenChallenge(
        response.headers.get('www-authenticate'),
        token.dpop === undefined ? 'bearer' : 'dpop',
      )
    ) {
      return response
    }
    // Only the token that was refused is dropped: a concurrent caller may already hold a new one.
    if (cached === token) cached = undefined
    const next = await currentToken()
    // The first answer is not returned: release its connection.
    await response.body?.cancel().catch(() => undefined)
    return sendDpop(input, init, next, true)
  }
}
