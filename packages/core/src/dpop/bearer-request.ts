/**
 * The DPoP half of the bearer path (RFC 9449 §7): what `authenticate` does with a request whose
 * `Authorization` uses the `DPoP` scheme, the no-downgrade rule for bound tokens sent as
 * `Bearer`, and the request shape adapters hand the core.
 */
import type { AuthContext, BearerVerifier } from '../authenticate.js'
import { checkTokenCharacters } from '../bearer.js'
import { isAuthError, MalformedAuthorizationError } from '../errors.js'
import { withChallenge } from '../http/challenge.js'
import type { JWTClaims } from '../jwt/claims.js'
import { scopesOf } from '../scopes.js'
import { DpopBindingError, DpopNonceError, DpopProofError } from './errors.js'
import { createDpopPolicy, type DpopPolicy } from './policy.js'

type HeaderValue = string | readonly string[] | null | undefined

/**
 * A request as the bearer check needs it: what adapters pass so that DPoP proofs can be checked.
 * `url` is the absolute URL the client addressed (behind a proxy: the public origin), or a
 * function computing it, called only when a proof is checked.
 */
export interface BearerRequest {
  /** The `Authorization` header: its value, every value when repeated, or nothing. */
  authorization: HeaderValue
  /**
   * The `DPoP` header: its value, every value when repeated (then refused), or nothing; or a
   * function reading it, called only for the DPoP scheme (a Bearer request pays no header scan).
   */
  dpop?: HeaderValue | (() => HeaderValue)
  /** The request method, e.g. `GET`. */
  method: string
  /** The absolute request URL, or a function giving it. */
  url: string | URL | (() => string | URL)
}

/** True for a {@link BearerRequest} rather than a bare header value. */
export function isBearerRequest(input: unknown): input is BearerRequest {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && 'authorization' in input
}

/** The token of an `Authorization: DPoP <token>` header (one value, scheme case-insensitive); else `undefined`. */
export function dpopSchemeToken(authorization: HeaderValue): string | undefined {
  const value =
    typeof authorization === 'string'
      ? authorization
      : Array.isArray(authorization) && authorization.length === 1
        ? (authorization[0] as string)
        : undefined
  if (value === undefined || value.length <= 5) return undefined
  if (value.charCodeAt(4) !== 32 || value.slice(0, 4).toLowerCase() !== 'dpop') return undefined
  return value.slice(5)
}

/** The `cnf.jkt` of verified claims: the thumbprint of the key the token is bound to, if any. */
export function boundJkt(claims: JWTClaims): string | undefined {
  const cnf = claims['cnf']
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const jkt = (cnf as { jkt?: unknown }).jkt
  return typeof jkt === 'string' ? jkt : undefined
}

/** Policies of verifiers made without one (any object with `verify`): the defaults, one per verifier. */
const defaultPolicies = new WeakMap<object, DpopPolicy>()

/** The DPoP settings of a verifier: its own `dpop`, else the defaults (mode `allowed`). */
export function dpopPolicyOf(verifier: BearerVerifier<JWTClaims>): DpopPolicy {
  if (verifier.dpop !== undefined) return verifier.dpop
  let policy = defaultPolicies.get(verifier)
  if (policy === undefined) {
    policy = createDpopPolicy()
    defaultPolicies.set(verifier, policy)
  }
  return policy
}

/**
 * Refuses claims the `Bearer` scheme may not carry: a DPoP-bound token (RFC 9449 §7.2, no
 * downgrade), or any token where DPoP is required. Applied to cached claims too.
 */
export function checkBearerUse<C extends JWTClaims>(claims: C, policy: DpopPolicy): C {
  if (boundJkt(claims) !== undefined) {
    throw withChallenge(
      new DpopBindingError(
        'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
        'A DPoP-bound token must be sent with the DPoP scheme and a proof',
      ),
      policy.challenge('Bearer') ?? BEARER_ONLY,
    )
  }
  if (policy.mode === 'required') {
    throw withChallenge(
      new DpopBindingError('ERR_DPOP_REQUIRED', 'A DPoP-bound token and a DPoP proof are required'),
      policy.challenge('Bearer') ?? BEARER_ONLY,
    )
  }
  return claims
}

const BEARER_ONLY = Object.freeze({
  schemes: Object.freeze(['Bearer'] as const),
  errorScheme: 'Bearer' as const,
})

function singleProof(dpop: HeaderValue): string {
  let value = dpop
  if (typeof value !== 'string') {
    if (value === undefined || value === null || value.length === 0)
      throw new DpopProofError('A DPoP proof is required')
    if (value.length > 1) throw new DpopProofError('Only one DPoP header is allowed')
    value = value[0] as string
  }
  // Fetch joins repeated headers with ", "; a compact JWS has neither character.
  if (value.includes(',')) throw new DpopProofError('Only one DPoP header is allowed')
  return value.trim()
}

/**
 * The check of `Authorization: DPoP <token>`: the token verified (or found in the verifier's
 * cache: only claims are cached, never a proof), bound (`cnf.jkt`), and this request's own proof
 * verified against the method, URL, token and that key. Failures carry the DPoP challenge.
 */
export async function authenticateDpop<C extends JWTClaims>(
  verifier: BearerVerifier<C>,
  policy: DpopPolicy,
  token: string,
  request: BearerRequest,
): Promise<AuthContext<C>> {
  try {
    if (policy.mode === 'disabled')
      throw new MalformedAuthorizationError('The Authorization header must use the Bearer scheme')
    // A malformed Authorization header (two joined by Fetch: "DPoP a, b") is a 400 before anything else.
    checkTokenCharacters(token)
    const proof = singleProof(typeof request.dpop === 'function' ? request.dpop() : request.dpop)
    const claims = verifier.cached?.(token) ?? (await verifier.verify(token))
    const jkt = boundJkt(claims)
    if (jkt === undefined)
      throw new DpopBindingError(
        'ERR_DPOP_BINDING_MISMATCH',
        'The token sent with the DPoP scheme is not DPoP-bound',
      )
    const url = typeof request.url === 'function' ? request.url() : request.url
    await policy.verifyProof(proof, { method: request.method, url, accessToken: token, jkt })
    return Object.freeze({ claims, token, scopes: scopesOf(claims), dpop: Object.freeze({ jkt }) })
  } catch (error) {
    if (!isAuthError(error)) throw error
    const challenge = policy.challenge('DPoP')
    if (challenge === undefined) throw error
    // RFC 9449 §8: the refusal asking for a nonce carries a fresh one in `DPoP-Nonce`.
    throw withChallenge(
      error,
      error instanceof DpopNonceError ? { ...challenge, dpopNonce: error.nonce } : challenge,
    )
  }
}
