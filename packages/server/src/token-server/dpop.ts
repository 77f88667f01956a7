/**
 * DPoP at the token endpoint (RFC 9449 §5): a token request that carries a `DPoP` proof gets an
 * access token bound to the proof's key (`cnf.jkt`, `token_type: DPoP`). The proof is checked by
 * the core's `verifyDpopProof`, as resource servers check theirs, against this server's own token
 * endpoint URL (not the request's, which a proxy may have rewritten), and its `jti` is spent in
 * the server's `replayStore`.
 */
import {
  ConfigurationError,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopNonceSource,
  isAuthError,
  type SignatureAlgorithm,
  SUPPORTED_ALGORITHMS,
  verifyDpopProof,
} from '@org/auth-core'
import type { TokenServerRequest } from './exchange.js'
import type { ResolvedTokenServer } from './options.js'
import { TokenRequestError } from './respond.js'

export interface TokenServerDpopOptions {
  /**
   * `allowed` (default): a request with a proof gets a DPoP-bound token, one without a Bearer
   * token. `required`: every token request needs a proof. `disabled`: proofs are ignored (RFC
   * 9449 §5: a server without DPoP support ignores the header) and nothing is advertised.
   */
  mode?: 'allowed' | 'required' | 'disabled'
  /** Accepted proof algorithms (asymmetric only). Default: the core's `DEFAULT_DPOP_ALGORITHMS`. */
  algorithms?: readonly SignatureAlgorithm[]
  /** Oldest proof accepted, in seconds from its `iat` (1–600). Default: 60. */
  maxAgeSeconds?: number
  /** Require a server nonce in every proof (`createDpopNonceSource()` of `@org/auth-core`). Default: none. */
  nonce?: DpopNonceSource
}

export interface ResolvedDpop {
  mode: 'allowed' | 'required' | 'disabled'
  algorithms: readonly SignatureAlgorithm[]
  maxAgeSeconds: number
  nonce: DpopNonceSource | undefined
}

export function resolveDpop(options: TokenServerDpopOptions | undefined): ResolvedDpop {
  const { mode = 'allowed', algorithms = DEFAULT_DPOP_ALGORITHMS, maxAgeSeconds = 60, nonce } = options ?? {}
  if (mode !== 'allowed' && mode !== 'required' && mode !== 'disabled') {
    throw new ConfigurationError('"dpop.mode" must be allowed, required or disabled')
  }
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((alg) => (SUPPORTED_ALGORITHMS as readonly string[]).includes(alg))
  ) {
    throw new ConfigurationError('"dpop.algorithms" must list asymmetric JWS algorithms')
  }
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 1 || maxAgeSeconds > 600) {
    throw new ConfigurationError('"dpop.maxAgeSeconds" must be a whole number from 1 to 600')
  }
  if (nonce !== undefined && (typeof nonce.current !== 'function' || typeof nonce.check !== 'function')) {
    throw new ConfigurationError('"dpop.nonce" must be a DpopNonceSource')
  }
  return { mode, algorithms: Object.freeze([...algorithms]), maxAgeSeconds, nonce }
}

/**
 * The thumbprint to bind the token to, or `undefined` for a Bearer token. Refusals are RFC 9449
 * answers: 400 `invalid_dpop_proof` (no proof where one is required, two `DPoP` headers, a bad
 * proof), 400 `use_dpop_nonce` with a fresh `DPoP-Nonce` header, 503 when the replay store is down.
 */
export async function proofThumbprint(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<string | undefined> {
  const { dpop } = server
  if (dpop.mode === 'disabled') return undefined
  // Repeated fields come joined with ", " (exchange.ts): a comma never appears in a compact JWS.
  const proof = request.header('dpop')
  if (proof === null) {
    if (dpop.mode === 'required')
      throw new TokenRequestError('invalid_dpop_proof', 'A DPoP proof is required')
    return undefined
  }
  if (proof.includes(','))
    throw new TokenRequestError('invalid_dpop_proof', 'Exactly one DPoP proof is allowed')
  try {
    const verified = await verifyDpopProof(proof, {
      method: 'POST',
      url: `${server.issuer}/token`,
      algorithms: dpop.algorithms,
      maxAgeSeconds: dpop.maxAgeSeconds,
      replay: server.replayStore,
      now: server.now,
      ...(dpop.nonce === undefined ? {} : { nonce: dpop.nonce }),
    })
    return verified.jkt
  } catch (error) {
    if (!isAuthError(error)) throw error
    if (error.oauthError === 'use_dpop_nonce') {
      const { nonce } = error as { nonce?: string }
      throw new TokenRequestError('use_dpop_nonce', 'A fresh DPoP nonce is required', 400, {
        ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }),
      })
    }
    if (error.status >= 500) {
      throw new TokenRequestError('temporarily_unavailable', 'The proof could not be checked', 503, {
        'retry-after': '5',
      })
    }
    // The core's message names the failed check in fixed words, never a value from the proof.
    throw new TokenRequestError('invalid_dpop_proof', error.message)
  }
}
