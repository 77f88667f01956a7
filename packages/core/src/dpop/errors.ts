/**
 * The DPoP errors (RFC 9449) of the toolkit's one error family: refusals of a proof, of a missing
 * or stale server nonce, and of a token presented otherwise than it is bound.
 */
import { AuthError, type AuthErrorOptions, nameErrorClass } from '../errors.js'

/**
 * A DPoP proof (RFC 9449 §4.3) is missing, malformed, repeated, replayed, badly signed or does not
 * match the request (`htm`, `htu`, `iat`, `ath`): 401 `invalid_dpop_proof`. `code` is
 * `ERR_DPOP_PROOF_INVALID`, or `ERR_DPOP_PROOF_REPLAYED` for a `jti` seen before.
 */
export class DpopProofError extends AuthError {
  static {
    nameErrorClass(DpopProofError, 'DpopProofError')
  }
  static override captureStack = false
  constructor(message: string, code = 'ERR_DPOP_PROOF_INVALID', options?: AuthErrorOptions) {
    super(code, message, 401, 'invalid_dpop_proof', options)
  }
}

/**
 * The resource server requires a DPoP nonce and the proof has none, or a stale one (RFC 9449 §9):
 * 401 `use_dpop_nonce`, `ERR_DPOP_NONCE_REQUIRED`. `nonce` is the fresh value sent in `DPoP-Nonce`.
 */
export class DpopNonceError extends AuthError {
  static {
    nameErrorClass(DpopNonceError, 'DpopNonceError')
  }
  static override captureStack = false
  /** The nonce the client must put in its next proof (answered as the `DPoP-Nonce` header). */
  readonly nonce: string
  constructor(nonce: string, message = 'A fresh DPoP nonce is required') {
    super('ERR_DPOP_NONCE_REQUIRED', message, 401, 'use_dpop_nonce')
    this.nonce = nonce
  }
}

/**
 * The token and the way it was presented disagree (RFC 9449 §7.1, §7.2): 401 `invalid_token`.
 * `ERR_DPOP_BINDING_MISMATCH` (the proof key's thumbprint is not the token's `cnf.jkt`, or the
 * token under the DPoP scheme is not bound), `ERR_DPOP_BOUND_TOKEN_AS_BEARER` (a DPoP-bound token
 * sent as `Bearer`: no downgrade), `ERR_DPOP_REQUIRED` (a `Bearer` token where DPoP is required).
 */
export class DpopBindingError extends AuthError {
  static {
    nameErrorClass(DpopBindingError, 'DpopBindingError')
  }
  static override captureStack = false
  constructor(code: string, message: string) {
    super(code, message, 401, 'invalid_token')
  }
}
