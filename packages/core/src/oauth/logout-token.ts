/**
 * Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, validated as §2.6 asks): signed by
 * the provider with its ID-token keys, for this client, telling it to end the sessions of a user
 * (`sub`) or of one provider session (`sid`).
 */
import type { JWK } from 'jose'
import { JWTClaimValidationError } from '../errors.js'
import type { JWTClaims } from '../jwt/claims.js'
import { decodeHeader, splitCompact } from '../jwt/decode.js'
import { createTokenVerifier, type TokenVerifier } from '../jwt/verifier.js'
import type { SignatureAlgorithm } from '../keys/algorithms.js'
import type { JSONWebKeySet, PublicKeyInput } from '../keys/public-key.js'
import type { RemoteJwks } from '../keys/remote-jwks.js'

/** The member of `events` that makes a JWT a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** The claims of a valid logout token: `jti` and `iat` always, `sub` and/or `sid`. */
export interface LogoutTokenClaims extends JWTClaims {
  iss: string
  jti: string
  iat: number
  /** The user whose sessions end: every one of them when `sid` is absent. */
  sub?: string
  /** The provider's session (the `sid` of the ID tokens it issued): only its sessions end. */
  sid?: string
  events: Record<string, unknown>
}

export interface LogoutTokenValidatorOptions {
  issuer: string
  clientId: string
  /** The provider's ID-token keys: logout tokens are signed with the same ones (§2.4). */
  jwks?: string | URL | JSONWebKeySet | RemoteJwks
  publicKey?: PublicKeyInput | JWK
  algorithms?: readonly SignatureAlgorithm[]
  /** Clock skew tolerated on `iat` and `exp`, in seconds. Default: 5. */
  leeway?: number
  /** Audiences besides the client id that may appear in `aud`. Default: none. */
  trustedAudiences?: readonly string[]
}

export interface LogoutTokenValidator {
  /**
   * The claims of a valid logout token; rejects with a `JWTVerificationError` (its stable `code`
   * says which check failed), or `KeysUnavailableError` when the provider's keys cannot be had.
   * `maxAge`: oldest `iat` accepted, in seconds (a logout token is sent the moment it is made).
   */
  validate(token: string, maxAge: number): Promise<LogoutTokenClaims>
}

/**
 * `typ` values accepted. The spec RECOMMENDS typing logout tokens `logout+jwt` (§2.4, as
 * oidc-provider does) but does not require it, so an untyped token (no `typ`, or the generic
 * `JWT` of RFC 7519 §5.1, which declares no kind) is accepted: what keeps an ID token from being
 * taken for a logout token, and the reverse, is the required `events` member and the prohibited
 * `nonce` (§4.1), both checked below. A token typed as anything else (`at+jwt`, `secevent+jwt`
 * of another profile...) declares itself another kind of token and is refused (RFC 8725 §3.11).
 */
const ACCEPTED_TYPES = new Set(['logout+jwt', 'application/logout+jwt', 'jwt', 'application/jwt'])

function refuse(code: string, claim: string, message: string): JWTClaimValidationError {
  return new JWTClaimValidationError(code, claim, message)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0
}

/** The claims a logout token must (and must not) have beyond the signature, `iss`, `aud` and times. */
function checkLogoutClaims(claims: JWTClaims): LogoutTokenClaims {
  const events = claims['events']
  if (events === undefined || !isObject(events) || !(BACKCHANNEL_LOGOUT_EVENT in events)) {
    throw refuse(
      'ERR_LOGOUT_TOKEN_EVENT_MISSING',
      'events',
      'The token has no "events" claim with the back-channel logout event',
    )
  }
  if (!isObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw refuse('ERR_JWT_CLAIM_INVALID', 'events', 'The back-channel logout event must be a JSON object')
  }
  // Prohibited so that a logout token can never pass as an ID token in an authentication response.
  if (claims['nonce'] !== undefined) {
    throw refuse('ERR_LOGOUT_TOKEN_NONCE', 'nonce', 'A logout token must not carry "nonce"')
  }
  if (!nonEmpty(claims.jti)) throw refuse('ERR_JWT_CLAIM_INVALID', 'jti', 'The "jti" claim must be a string')
  const { sub } = claims
  const sid = claims['sid']
  if (sub !== undefined && !nonEmpty(sub))
    throw refuse('ERR_JWT_CLAIM_INVALID', 'sub', 'The "sub" claim must be a string')
  if (sid !== undefined && !nonEmpty(sid))
    throw refuse('ERR_JWT_CLAIM_INVALID', 'sid', 'The "sid" claim must be a string')
  if (sub === undefined && sid === undefined) {
    throw refuse('ERR_LOGOUT_TOKEN_SUBJECT_MISSING', 'sub', 'A logout token must carry "sub", "sid" or both')
  }
  return claims as LogoutTokenClaims
}

/**
 * Validates the logout tokens of one client (Back-Channel Logout §2.6): the header's `typ`
 * (see {@link ACCEPTED_TYPES}), the signature against the provider's keys, `iss` exact, `aud`
 * containing the client and nothing untrusted, `iat` present, not in the future and at most
 * `maxAge` old, `exp` when present (1.0 final requires it; earlier drafts, still deployed, did
 * not, and `maxAge` bounds the token's life either way), `jti` present, the `events` member,
 * `sub` or `sid`, and no `nonce`. The caller makes `jti` single-use.
 */
export function createLogoutTokenValidator(options: LogoutTokenValidatorOptions): LogoutTokenValidator {
  const { clientId } = options
  const trusted = new Set([clientId, ...(options.trustedAudiences ?? [])])
  const leeway = options.leeway ?? 5
  const verifier: TokenVerifier = createTokenVerifier({
    issuer: options.issuer,
    audience: clientId,
    ...(options.publicKey === undefined ? { jwks: options.jwks } : { publicKey: options.publicKey }),
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    leeway,
    // The `typ` is checked here (the verifier's kinds are access and ID tokens).
    tokenType: 'any',
    requiredClaims: ['iat', 'jti'],
    // Each logout token is used once: a cache of them would never hit.
    cache: false,
  })

  return {
    async validate(token, maxAge) {
      const typ = decodeHeader(splitCompact(token, 8192)[0]).typ
      if (typ !== undefined && !ACCEPTED_TYPES.has(typ.toLowerCase())) {
        throw refuse('ERR_JWT_TYPE_INVALID', 'typ', 'The token is not a logout token (typ "logout+jwt")')
      }
      const claims = await verifier.verify(token)
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (!audiences.every((aud) => typeof aud === 'string' && trusted.has(aud))) {
        throw refuse(
          'ERR_JWT_AUDIENCE_UNTRUSTED',
          'aud',
          'The logout token names an audience this client does not trust',
        )
      }
      // `iat` is a number here (required, and type-checked by the verifier).
      if (Math.floor(Date.now() / 1000) - (claims.iat as number) > maxAge + leeway) {
        throw refuse('ERR_JWT_TOO_OLD', 'iat', 'The logout token is older than the maximum age')
      }
      return checkLogoutClaims(claims)
    },
  }
}
