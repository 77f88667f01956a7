import { createDpopPolicy, type DpopOptions, type DpopPolicy } from './dpop/policy.js'
import { ConfigurationError, JWTClaimValidationError } from './errors.js'
import type { JWTClaims } from './jwt/claims.js'
import { decodePayload, splitCompact } from './jwt/decode.js'
import type { TokenVerifier } from './jwt/verifier.js'

export interface ResourceServerOptions<C extends JWTClaims = JWTClaims> {
  /** One verifier per trusted issuer; issuers must be distinct. */
  verifiers: readonly TokenVerifier<C>[]
  /** Longest token accepted before it is decoded for routing. Default: 8192 characters. */
  maxTokenLength?: number
  /**
   * DPoP (RFC 9449) for every issuer's tokens: see {@link DpopOptions}; the verifiers' own `dpop`
   * settings are not used. Default: mode `'allowed'` with the default settings.
   */
  dpop?: DpopOptions
}

export interface ResourceServer<C extends JWTClaims = JWTClaims> {
  readonly issuers: readonly string[]
  /** Claims of a token one of the verifiers has cached, without any work; else `undefined`. */
  cached(token: string): C | undefined
  /** Routes the token by its `iss` to that issuer's verifier; unknown issuers are refused. */
  verify(token: string): Promise<C>
  /** The resolved `dpop` option, which `authenticate` applies. */
  readonly dpop: DpopPolicy
}

/**
 * A resource server that trusts several issuers. The unverified `iss` only picks which
 * configured verifier checks the token, so an unknown issuer never causes a key fetch, and a
 * token can never be checked against keys of an issuer it does not name.
 */
export function createResourceServer<C extends JWTClaims = JWTClaims>(
  options: ResourceServerOptions<C>,
): ResourceServer<C> {
  const verifiers = options?.verifiers
  if (!Array.isArray(verifiers) || verifiers.length === 0) {
    throw new ConfigurationError('"verifiers" must be a non-empty array of token verifiers')
  }
  const byIssuer = new Map<string, TokenVerifier<C>>()
  for (const verifier of verifiers) {
    if (byIssuer.has(verifier.issuer))
      throw new ConfigurationError(`Two verifiers share the issuer "${verifier.issuer}"`)
    byIssuer.set(verifier.issuer, verifier)
  }
  const maxTokenLength = options.maxTokenLength ?? 8192
  const dpop = createDpopPolicy(options.dpop)

  function cached(token: string): C | undefined {
    for (const verifier of verifiers) {
      const hit = verifier.cached(token)
      if (hit !== undefined) return hit
    }
    return undefined
  }

  return {
    issuers: [...byIssuer.keys()],
    dpop,
    cached,
    verify(token: string): Promise<C> {
      const hit = cached(token)
      if (hit !== undefined) return Promise.resolve(hit)
      try {
        const [, payload] = splitCompact(token, maxTokenLength)
        const iss = decodePayload(payload).iss
        const verifier = typeof iss === 'string' ? byIssuer.get(iss) : undefined
        if (verifier === undefined) {
          throw new JWTClaimValidationError(
            'ERR_JWT_ISSUER_UNKNOWN',
            'iss',
            'The token was issued by an untrusted issuer',
          )
        }
        return verifier.verify(token)
      } catch (error) {
        return Promise.reject(error)
      }
    },
  }
}
