import { checkTokenCharacters, splitBearer } from './bearer.js'
import {
  authenticateDpop,
  type BearerRequest,
  checkBearerUse,
  dpopPolicyOf,
  dpopSchemeToken,
  isBearerRequest,
} from './dpop/bearer-request.js'
import type { DpopPolicy } from './dpop/policy.js'
import { MissingTokenError } from './errors.js'
import { withChallenge } from './http/challenge.js'
import type { JWTClaims } from './jwt/claims.js'
import { createTokenVerifier } from './jwt/verifier.js'
import type { TokenVerifierOptions } from './jwt/verifier-options.js'
import { scopesOf } from './scopes.js'

/** Anything that turns a token into verified claims: a token verifier or a resource server. */
export interface BearerVerifier<C extends JWTClaims = JWTClaims> {
  verify(token: string): Promise<C>
  /** Claims of a token verified earlier and still valid, found without any work; else `undefined`. */
  cached?(token: string): C | undefined
  /** DPoP settings (RFC 9449). Default: mode `allowed` with default settings. */
  readonly dpop?: DpopPolicy
}

/** What an adapter attaches to an authenticated request (`req.auth`, `c.var.auth`). */
export interface AuthContext<C extends JWTClaims = JWTClaims> {
  /** The verified claims (frozen). */
  readonly claims: C
  /** The bearer token as received, for calling downstream APIs on the user's behalf. */
  readonly token: string
  /** The granted scopes, from `scope` or `scp`. */
  readonly scopes: readonly string[]
  /** For a DPoP-bound token presented with a valid proof: the thumbprint of its key (`cnf.jkt`). */
  readonly dpop?: { readonly jkt: string }
}

/** What {@link authenticate} takes: the request (so DPoP proofs can be checked), or only its `Authorization` header. */
export type BearerInput = BearerRequest | string | readonly string[] | null | undefined

/**
 * The whole bearer check for one request: parse the `Authorization` header (RFC 6750 §2.1),
 * verify the token, and collect its scopes. Every adapter calls this, so they agree exactly.
 *
 * Given a {@link BearerRequest} (method, URL, `Authorization` and `DPoP` headers), a DPoP-bound
 * token (`Authorization: DPoP <token>`) is accepted with a valid proof (RFC 9449), per the
 * verifier's `dpop` settings. Given only the header, just `Bearer` tokens can pass. Either way, a
 * DPoP-bound token presented as `Bearer` is refused.
 */
export async function authenticate<C extends JWTClaims>(
  verifier: BearerVerifier<C>,
  input: BearerInput,
): Promise<AuthContext<C>> {
  return authenticateNow(verifier, input)
}

/**
 * {@link authenticate} without a promise where none is needed: a missing or malformed header
 * throws at once, a token found among verified ones returns its context at once, and only a
 * token that needs verifying returns a promise. Adapters on a hot path use it to spare every
 * cached or refused request an allocation and a microtask turn.
 */
export function authenticateNow<C extends JWTClaims>(
  verifier: BearerVerifier<C>,
  input: BearerInput,
): AuthContext<C> | Promise<AuthContext<C>> {
  const policy = dpopPolicyOf(verifier)
  let authorization = input as string | readonly string[] | null | undefined
  if (isBearerRequest(input)) {
    const dpopToken = dpopSchemeToken(input.authorization)
    if (dpopToken !== undefined) return authenticateDpop(verifier, policy, dpopToken, input)
    authorization = input.authorization
  }
  if (
    authorization === undefined ||
    authorization === null ||
    (typeof authorization !== 'string' && authorization.length === 0)
  )
    throw policy.missingToken
  const token = splitBearer(authorization)
  // A token found among verified ones needs no character scan: it passed one before.
  const hit = verifier.cached?.(token)
  if (hit !== undefined) return cachedContext(bearerClaims(hit, policy), token)
  return verifier
    .verify(checkTokenCharacters(token))
    .then((claims) => ({ claims: bearerClaims(claims, policy), token, scopes: scopesOf(claims) }))
}

/** Claims presented with `Bearer`: refused when bound to a DPoP key, or when DPoP is required. */
function bearerClaims<C extends JWTClaims>(claims: C, policy: DpopPolicy): C {
  return policy.mode === 'required' || claims['cnf'] !== undefined ? checkBearerUse(claims, policy) : claims
}

/**
 * A "no token" error for `verifier`, whose challenge offers the schemes its DPoP mode accepts
 * (`Bearer, DPoP algs="…"` by default). New on each call, for adapters that prebuild the
 * answer to a request without `Authorization` once.
 */
export function missingTokenError(verifier: BearerVerifier<JWTClaims>): MissingTokenError {
  const challenge = dpopPolicyOf(verifier).challenge('DPoP')
  const error = new MissingTokenError()
  return challenge === undefined ? error : withChallenge(error, challenge)
}

/**
 * Contexts of cached tokens, kept beside their claims (one frozen object per verified token,
 * shared by every hit): a flood of the same token allocates no context and splits no scope.
 */
const contexts = new WeakMap<JWTClaims, AuthContext<JWTClaims>>()

function cachedContext<C extends JWTClaims>(claims: C, token: string): AuthContext<C> {
  let context = contexts.get(claims) as AuthContext<C> | undefined
  if (context === undefined || context.token !== token) {
    context = Object.freeze({ claims, token, scopes: scopesOf(claims) })
    contexts.set(claims, context)
  }
  return context
}

/** True when {@link authenticateNow} had to go asynchronous. */
export function isPending<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown }).then === 'function'
}

/**
 * What adapters accept: a ready verifier (token verifier, resource server, anything with
 * `verify`) is used as is; options create a token verifier once, at start-up.
 */
export function resolveVerifier<C extends JWTClaims = JWTClaims>(
  input: TokenVerifierOptions | BearerVerifier<C>,
): BearerVerifier<C> {
  const candidate = input as BearerVerifier<C>
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.verify === 'function')
    return candidate
  return createTokenVerifier<C>(input as TokenVerifierOptions)
}
