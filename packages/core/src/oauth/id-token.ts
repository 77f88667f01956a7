import { base64url, decodeProtectedHeader, type JWK } from 'jose'
import { JWTClaimValidationError } from '../errors.js'
import { createTokenVerifier, type TokenVerifier } from '../jwt/verifier.js'
import type { SignatureAlgorithm } from '../keys/algorithms.js'
import type { JSONWebKeySet, PublicKeyInput } from '../keys/public-key.js'
import type { RemoteJwks } from '../keys/remote-jwks.js'
import { timingSafeEqual } from './pkce.js'
import type { IdTokenClaims } from './token-set.js'

export interface IdTokenValidatorOptions {
  /** The issuer identifier the ID token's `iss` must equal exactly. */
  issuer: string
  /** This client's id: it must be in `aud`. */
  clientId: string
  /** The issuer's keys: a JWKS URL, JWKS object or shared {@link RemoteJwks}. One of `jwks` / `publicKey`. */
  jwks?: string | URL | JSONWebKeySet | RemoteJwks
  /** A single key: PEM (`PUBLIC KEY` / `CERTIFICATE`) or JWK. */
  publicKey?: PublicKeyInput | JWK
  /** Accepted ID-token algorithms. Default: every supported asymmetric algorithm. */
  algorithms?: readonly SignatureAlgorithm[]
  /** Clock skew tolerated on `exp`, `iat`, `nbf` and `auth_time`, in seconds. Default: 5. */
  leeway?: number
  /**
   * Oldest `iat` accepted, in seconds: an ID token comes straight from the token endpoint, so an
   * old one is a replay. Default: 600.
   */
  maxIdTokenAge?: number
  /** Audiences besides the client id that may appear in `aud`. Default: none (an extra one is refused). */
  trustedAudiences?: readonly string[]
}

/** What one response must match, beyond what every ID token of this client must. */
export interface IdTokenExpectations {
  /** The nonce sent in the authorization request: the claim must equal it. */
  nonce?: string | undefined
  /** `max_age` sent in the authorization request: `auth_time` becomes required and is checked. */
  maxAge?: number | undefined
  /** The access token issued with the ID token: checked against `at_hash` when present. */
  accessToken?: string | undefined
  /** The authorization code exchanged: checked against `c_hash` when present. */
  code?: string | undefined
}

export interface IdTokenValidator {
  validate(idToken: string, expected?: IdTokenExpectations): Promise<IdTokenClaims>
}

// OpenID Connect Core §3.1.3.6: the hash is the one of the JWS algorithm (EdDSA on Ed25519: SHA-512).
function hashName(alg: string): string | undefined {
  if (alg === 'EdDSA' || alg === 'Ed25519') return 'SHA-512'
  const bits = alg.slice(2)
  return ['256', '384', '512'].includes(bits) ? `SHA-${bits}` : undefined
}

/** `at_hash` / `c_hash`: base64url of the left half of the hash of the ASCII value. */
export async function leftHalfHash(value: string, alg: string): Promise<string> {
  const name = hashName(alg)
  if (name === undefined)
    throw new JWTClaimValidationError('ERR_JWT_ALG_NOT_ALLOWED', 'alg', 'Unknown hash for alg')
  const digest = new Uint8Array(await crypto.subtle.digest(name, new TextEncoder().encode(value)))
  return base64url.encode(digest.slice(0, digest.length / 2))
}

async function checkHash(
  idToken: string,
  claims: IdTokenClaims,
  claim: 'at_hash' | 'c_hash',
  value: string | undefined,
): Promise<void> {
  if (claims[claim] === undefined || value === undefined) return
  const hash = await leftHalfHash(value, String(decodeProtectedHeader(idToken).alg))
  const actual = claims[claim]
  if (typeof actual !== 'string' || !timingSafeEqual(hash, actual)) {
    const what = claim === 'at_hash' ? 'access token' : 'authorization code'
    throw claimError(
      `ERR_JWT_${claim.toUpperCase()}_MISMATCH`,
      claim,
      `The ID token does not match the ${what}`,
    )
  }
}

function claimError(code: string, claim: string, message: string): JWTClaimValidationError {
  return new JWTClaimValidationError(code, claim, message)
}

/**
 * Validates ID tokens of one client as OpenID Connect Core §3.1.3.7 asks: signature against the
 * issuer's keys (the verifier's algorithm rules), `iss` exact, `aud` containing the client and
 * nothing untrusted, `azp` equal to the client when present (required with several audiences),
 * `exp`/`iat` with leeway and a maximum age, `nonce`, `auth_time` against `max_age`, `at_hash`.
 */
/** The back-channel logout event (OIDC Back-Channel Logout §2.4), which only logout tokens carry. */
const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

export function createIdTokenValidator(options: IdTokenValidatorOptions): IdTokenValidator {
  const { clientId } = options
  const trusted = new Set([clientId, ...(options.trustedAudiences ?? [])])
  const leeway = options.leeway ?? 5
  const verifier: TokenVerifier<IdTokenClaims> = createTokenVerifier<IdTokenClaims>({
    issuer: options.issuer,
    audience: clientId,
    ...(options.publicKey === undefined ? { jwks: options.jwks } : { publicKey: options.publicKey }),
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    leeway,
    maxTokenAge: options.maxIdTokenAge ?? 600,
    tokenType: 'id',
    // Every ID token is checked against a per-login nonce: a cache of them would never hit.
    cache: false,
  })

  return {
    async validate(idToken, expected = {}) {
      const claims = await verifier.verify(idToken)
      // An untyped logout token carries the back-channel logout event: never an ID token (§4.1).
      const { events } = claims as { events?: unknown }
      if (typeof events === 'object' && events !== null && LOGOUT_EVENT in events) {
        throw claimError('ERR_JWT_TYPE_INVALID', 'events', 'An ID token is required, not a logout token')
      }
      const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      if (!audiences.every((aud) => typeof aud === 'string' && trusted.has(aud))) {
        throw claimError(
          'ERR_JWT_AUDIENCE_UNTRUSTED',
          'aud',
          'The ID token names an audience this client does not trust',
        )
      }
      if (claims.azp !== undefined ? claims.azp !== clientId : audiences.length > 1) {
        throw claimError('ERR_JWT_AZP_INVALID', 'azp', 'The ID token was issued to another party')
      }
      if (expected.nonce !== undefined) {
        if (typeof claims.nonce !== 'string')
          throw claimError('ERR_JWT_CLAIM_MISSING', 'nonce', 'The "nonce" claim is required')
        if (!timingSafeEqual(claims.nonce, expected.nonce)) {
          throw claimError('ERR_JWT_NONCE_MISMATCH', 'nonce', 'The ID token nonce does not match the request')
        }
      }
      if (expected.maxAge !== undefined) {
        if (typeof claims.auth_time !== 'number') {
          throw claimError(
            'ERR_JWT_CLAIM_MISSING',
            'auth_time',
            'The "auth_time" claim is required with max_age',
          )
        }
        if (claims.auth_time + expected.maxAge < Math.floor(Date.now() / 1000) - leeway) {
          throw claimError(
            'ERR_JWT_AUTH_TIME_TOO_OLD',
            'auth_time',
            'The end-user authenticated longer ago than max_age',
          )
        }
      }
      await checkHash(idToken, claims, 'at_hash', expected.accessToken)
      await checkHash(idToken, claims, 'c_hash', expected.code)
      return claims
    },
  }
}
