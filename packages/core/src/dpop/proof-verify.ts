/**
 * Verification of one DPoP proof JWT (RFC 9449 §4.3), as a resource server or a token endpoint
 * checks it. Every failure is a {@link DpopProofError} (401 `invalid_dpop_proof`), except a
 * missing or stale server nonce ({@link DpopNonceError}, `use_dpop_nonce`) and a proof key that is
 * not the one the token is bound to ({@link DpopBindingError}, `invalid_token`).
 */
import { base64url, type JWK } from 'jose'
import { algorithmsForKey, type KeyShape, type SignatureAlgorithm } from '../keys/algorithms.js'
import { type KeyEntry, keyEntryFromJwk } from '../keys/key-entry.js'
import { LruCache } from '../lib/lru.js'
import { sha256Base64url } from '../lib/sha256.js'
import { type OneTimeStore, oneTimeKey } from '../web/one-time-store.js'
import { DpopBindingError, DpopNonceError, DpopProofError } from './errors.js'
import { normaliseHtu } from './htu.js'
import type { DpopNonceSource } from './nonce.js'
import { jwkThumbprint, publicJwkOf } from './thumbprint.js'

export interface DpopProofCheck {
  /** The request's method, compared exactly with `htm`. */
  method: string
  /** The request's absolute URL (as the client addressed it); query and fragment are ignored. */
  url: string | URL
  /** The access token sent with the proof: `ath` must be its SHA-256 (RFC 9449 §4.3 check 11). */
  accessToken?: string
  /** The thumbprint the proof key must have: the token's `cnf.jkt`. */
  jkt?: string
  /** Accepted proof algorithms (asymmetric only). Default: {@link DEFAULT_DPOP_ALGORITHMS}. */
  algorithms?: readonly SignatureAlgorithm[]
  /** Oldest `iat` accepted, in seconds before now (the clock skew comes on top). Default: 60. */
  maxAgeSeconds?: number
  /** Clock difference tolerated on `iat`, both ways, in seconds. Default: 5. */
  clockSkewSeconds?: number
  /** Where each `jti` is recorded, so that a proof is used once. */
  replay: OneTimeStore
  /** Server nonces: when set, the proof must carry a current one. */
  nonce?: DpopNonceSource
  /** Longest proof accepted, checked before anything is parsed. Default: 8192 characters. */
  maxProofLength?: number
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}

/** What a valid proof establishes. */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key: what a bound token's `cnf.jkt` holds. */
  readonly jkt: string
  /** The proof's public key (its RFC 7638 members only). */
  readonly jwk: Readonly<JWK>
  readonly alg: string
  readonly jti: string
  readonly iat: number
  /** The normalised `htu`. */
  readonly htu: string
}

/**
 * The proof algorithms accepted by default: those DPoP clients use (openid-client, oidc-provider,
 * browsers' Web Crypto), in the order the `algs` challenge attribute lists them.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly SignatureAlgorithm[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'PS256',
  'RS256',
])

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const utf8 = new TextDecoder('utf-8', { fatal: true })
/**
 * Proof keys by thumbprint, each with its memoised import and signature check per algorithm:
 * `node:crypto`'s synchronous check where the runtime lends it (as for access tokens), else Web
 * Crypto's.
 */
const proofKeys = new LruCache<KeyEntry>(1000)

function fail(message: string): never {
  throw new DpopProofError(message)
}

function jsonSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(base64url.decode(segment)))
  } catch {
    fail(`The DPoP proof ${what} is not base64url JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`The DPoP proof ${what} is not a JSON object`)
  return value as Record<string, unknown>
}

/**
 * Checks a DPoP proof against the request it came with and returns its key's thumbprint. In RFC
 * 9449 §4.3 order: size, compact form, `typ` exactly `dpop+jwt`, `alg` in the allow-list and fit
 * for the key, a public `jwk` (private or symmetric material refused), the signature by that key,
 * `jti`, `htm`, `htu`, `iat` window, `ath`, server nonce, binding to `jkt`; the `jti` is recorded
 * last, so that a proof refused for another reason does not use it up.
 */
export async function verifyDpopProof(proof: string, check: DpopProofCheck): Promise<VerifiedDpopProof> {
  if (typeof proof !== 'string' || proof.length === 0) fail('A DPoP proof is required')
  const algorithms: readonly string[] = check.algorithms ?? DEFAULT_DPOP_ALGORITHMS
  const maxAge = check.maxAgeSeconds ?? 60
  const skew = check.clockSkewSeconds ?? 5
  if (proof.length > (check.maxProofLength ?? 8192)) fail('The DPoP proof is too large')
  if (!COMPACT.test(proof)) fail('The DPoP proof is not a compact JWS')
  const segments = proof.split('.') as [string, string, string]
  // No base64url text of 4n + 1 characters encodes anything; a lenient decoder would ignore one.
  if (segments.some((segment) => segment.length % 4 === 1)) fail('The DPoP proof is not a compact JWS')
  const [headerSegment, payloadSegment] = segments
  const header = jsonSegment(headerSegment, 'header')
  if (header['typ'] !== 'dpop+jwt') fail('The DPoP proof "typ" must be "dpop+jwt"')
  // RFC 7515 §4.1.11: no extension is understood here, and `b64` would change what is signed.
  if ('crit' in header || 'b64' in header) fail('The DPoP proof header has a parameter not allowed here')
  const alg = header['alg']
  if (typeof alg !== 'string' || !algorithms.includes(alg)) fail('The DPoP proof algorithm is not allowed')
  const jwk = publicJwkOf(header['jwk'])
  if (typeof jwk === 'string') fail(`The DPoP proof is refused: ${jwk}`)
  const fits = algorithmsForKey(jwk as KeyShape)
  if (typeof fits === 'string' || !fits.has(alg)) fail('The DPoP proof algorithm does not fit its key')
  const jkt = await jwkThumbprint(jwk)

  // The key vetted as an access token's would be (RSA moduli of 2048 bits and more, base64url
  // members), imported once per key: a client signs every request with the same one.
  let entry = proofKeys.get(jkt)
  if (entry === undefined) {
    const vetted = keyEntryFromJwk(jwk)
    if (typeof vetted === 'string') fail(`The DPoP proof is refused: ${vetted}`)
    proofKeys.set(jkt, vetted)
    entry = vetted
  }
  const keyCheck = entry.signatureCheck(alg)
  let signed: boolean
  try {
    signed = await (await keyCheck)(proof)
  } catch (cause) {
    throw new DpopProofError('The DPoP proof signature is invalid', undefined, { cause })
  }
  if (!signed) fail('The DPoP proof signature is invalid')

  const claims = jsonSegment(payloadSegment, 'payload')
  const { jti, htm, htu, iat } = claims
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    fail('The DPoP proof "jti" is missing or invalid')
  if (htm !== check.method) fail('The DPoP proof is for another method ("htm")')
  const expectedHtu = normaliseHtu(check.url)
  if (expectedHtu === undefined) fail('The request URL cannot be compared with "htu"')
  const proofHtu = typeof htu === 'string' && htu.length <= 4096 ? normaliseHtu(htu) : undefined
  if (proofHtu !== expectedHtu) fail('The DPoP proof is for another URL ("htu")')
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('The DPoP proof "iat" is missing')
  const now = Math.floor((check.now ?? Date.now)() / 1000)
  if (iat > now + skew) fail('The DPoP proof "iat" is in the future')
  if (iat < now - maxAge - skew) fail('The DPoP proof is too old ("iat")')
  if (check.accessToken !== undefined) {
    if (typeof claims['ath'] !== 'string' || claims['ath'] !== (await sha256Base64url(check.accessToken)))
      fail('The DPoP proof is for another access token ("ath")')
  }
  if (check.nonce !== undefined) {
    const nonce = claims['nonce']
    if (typeof nonce !== 'string' || nonce.length > 512 || !(await check.nonce.check(nonce))) {
      throw new DpopNonceError(await check.nonce.current())
    }
  }
  if (check.jkt !== undefined && check.jkt !== jkt) {
    throw new DpopBindingError(
      'ERR_DPOP_BINDING_MISMATCH',
      'The DPoP proof key is not the one the token is bound to',
    )
  }
  // Scoped by key and URL: one client's `jti` values cannot collide with another's.
  const replayKey = await oneTimeKey('dpop-jti', `${jkt} ${expectedHtu} ${jti}`)
  // Kept for as long as the proof could pass the `iat` check.
  const expiresAt = iat + maxAge + 2 * skew + 1
  if (!(await check.replay.consume(replayKey, expiresAt))) {
    throw new DpopProofError('The DPoP proof was used before', 'ERR_DPOP_PROOF_REPLAYED')
  }
  return Object.freeze({ jkt, jwk: Object.freeze(jwk), alg, jti, iat, htu: expectedHtu })
}
