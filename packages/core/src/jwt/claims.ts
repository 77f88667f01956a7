import { JWTClaimValidationError, JWTExpiredError } from '../errors.js'

/** Registered JWT claims (RFC 7519 §4.1) plus the OAuth ones this toolkit reads. */
export interface JWTClaims {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  /** RFC 9068 / RFC 8693: space-separated scopes. */
  scope?: string
  /** Scopes as some providers (Azure AD, Okta) spell them. */
  scp?: string | string[]
  client_id?: string
  azp?: string
  [claim: string]: unknown
}

/** What {@link validateClaims} checks; resolved once when a verifier is created. */
export interface ClaimRules {
  issuer: string
  audiences: readonly string[]
  leeway: number
  maxTokenAge: number | undefined
  requiredClaims: readonly string[]
}

function numericDate(claims: JWTClaims, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = claims[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new JWTClaimValidationError('ERR_JWT_CLAIM_INVALID', name, `The "${name}" claim must be a number`)
  }
  return value
}

/**
 * Checks the claims of a token whose signature is already verified. `now` is in seconds.
 *
 * - `iss` must equal the configured issuer exactly (no trailing-slash or case folding).
 * - `aud` (string or array) must contain one of the configured audiences.
 * - `exp`: expired when `exp <= now - leeway` (so `exp == now` with no leeway is expired).
 * - `nbf`: not yet valid when `nbf > now + leeway`; `iat` in the future likewise rejected.
 */
export function validateClaims(claims: JWTClaims, rules: ClaimRules, now: number): void {
  for (const name of rules.requiredClaims) {
    if (claims[name] === undefined) {
      throw new JWTClaimValidationError('ERR_JWT_CLAIM_MISSING', name, `The "${name}" claim is required`)
    }
  }
  if (claims.iss !== rules.issuer) {
    throw new JWTClaimValidationError(
      'ERR_JWT_ISSUER_INVALID',
      'iss',
      'The token was issued by another issuer',
    )
  }
  const aud = claims.aud
  const audOk =
    typeof aud === 'string'
      ? rules.audiences.includes(aud)
      : Array.isArray(aud) &&
        aud.some((value) => typeof value === 'string' && rules.audiences.includes(value))
  if (!audOk) {
    throw new JWTClaimValidationError(
      'ERR_JWT_AUDIENCE_INVALID',
      'aud',
      'The token is not meant for this audience',
    )
  }
  const exp = numericDate(claims, 'exp')
  if (exp !== undefined && exp <= now - rules.leeway) throw new JWTExpiredError()
  const nbf = numericDate(claims, 'nbf')
  if (nbf !== undefined && nbf > now + rules.leeway) {
    throw new JWTClaimValidationError('ERR_JWT_NOT_YET_VALID', 'nbf', 'The token is not valid yet')
  }
  const iat = numericDate(claims, 'iat')
  if (iat !== undefined) {
    if (iat > now + rules.leeway) {
      throw new JWTClaimValidationError(
        'ERR_JWT_ISSUED_IN_FUTURE',
        'iat',
        'The token was issued in the future',
      )
    }
    if (rules.maxTokenAge !== undefined && now - iat > rules.maxTokenAge + rules.leeway) {
      throw new JWTClaimValidationError('ERR_JWT_TOO_OLD', 'iat', 'The token is older than the maximum age')
    }
  } else if (rules.maxTokenAge !== undefined) {
    throw new JWTClaimValidationError('ERR_JWT_CLAIM_MISSING', 'iat', 'The "iat" claim is required')
  }
}
