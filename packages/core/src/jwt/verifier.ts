import {
  InvalidPublicKeyError,
  isAuthError,
  JWTClaimValidationError,
  JWTVerificationError,
} from '../errors.js'
import { resolveAlgorithms } from '../keys/algorithms.js'
import { type DiscoverySnapshot, discoveredKeys } from '../keys/discovery.js'
import type { KeyEntry } from '../keys/key-entry.js'
import { type KeyLookup, staticKeys } from '../keys/key-source.js'
import { parsePublicKey, parseStaticJwks } from '../keys/public-key.js'
import { createRemoteJwks, type JwksSnapshot, type RemoteJwks } from '../keys/remote-jwks.js'
import type { SignatureCheck } from '../keys/signature-check.js'
import { LruCache } from '../lib/lru.js'
import { decodeCheckedBase64url } from '../lib/node-runtime.js'
import { type ClaimRules, type JWTClaims, validateClaims } from './claims.js'
import { decodeHeader, type JWTHeader, parsePayloadBytes, splitCompact } from './decode.js'
import { checkVerifierOptions, type TokenType, type TokenVerifierOptions } from './verifier-options.js'

export interface TokenVerifier<C extends JWTClaims = JWTClaims> {
  /** The configured issuer: how a resource server routes tokens to this verifier. */
  readonly issuer: string
  /**
   * Verifies a compact JWT and returns its claims (deeply frozen). Rejects with a
   * {@link JWTVerificationError} (401), or {@link KeysUnavailableError} (503) when no key can be had.
   */
  verify(token: string): Promise<C>
  /** The claims of a token verified earlier and still unexpired, without any work; else `undefined`. */
  cached(token: string): C | undefined
  /** Loads and imports keys now (instead of on the first request); rejects with what requests would see. */
  ready(): Promise<void>
  /** Snapshot of remote keys (and discovered metadata) for a later cold start; `undefined` for static keys. */
  exportKeys(): JwksSnapshot | DiscoverySnapshot | undefined
}

interface CachedToken {
  /** The whole token: a hit must match it exactly, not just the key. */
  token: string
  claims: JWTClaims
  /** Epoch milliseconds: the token's `exp`. */
  expiresAt: number
}

// The cache is keyed by the token's last characters (its signature): hashing a whole token costs
// more than verifying a cached one otherwise would. A hit is confirmed against the whole token, so
// a colliding key can only cause a miss.
const CACHE_KEY_LENGTH = 32
// A token without `kid` is tried against at most this many keys, bounding the work one token can cause.
const MAX_CANDIDATES = 8
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])
const ID_TOKEN_CLAIMS = ['sub', 'iat', 'exp']

function isRemoteJwks(value: unknown): value is RemoteJwks {
  return typeof value === 'object' && value !== null && typeof (value as RemoteJwks).lookup === 'function'
}

function keySource(
  options: TokenVerifierOptions,
): KeyLookup & { export?: () => JwksSnapshot | DiscoverySnapshot | undefined } {
  if (options.publicKey !== undefined) return staticKeys([parsePublicKey(options.publicKey)], true)
  if (options.discovery !== undefined && options.discovery !== false) {
    return discoveredKeys(options.issuer, options.discovery === true ? {} : options.discovery)
  }
  const jwks = options.jwks
  if (isRemoteJwks(jwks)) return jwks
  if (typeof jwks === 'string' || jwks instanceof URL) return createRemoteJwks(jwks, options.remote)
  return staticKeys(parseStaticJwks(jwks), false)
}

function checkType(header: JWTHeader, tokenType: TokenType): void {
  if (tokenType === 'any') return
  const isAccess = header.typ !== undefined && ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())
  if (tokenType === 'access' && !isAccess) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An access token (typ "at+jwt") is required',
    )
  }
  if (tokenType === 'id' && isAccess) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An ID token is required, not an access token',
    )
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** Tries the candidate keys in turn; resolves once one of them signed the token. */
async function verifySignature(token: string, alg: string, candidates: readonly KeyEntry[]): Promise<void> {
  let signatureFailed = false
  for (const entry of candidates.slice(0, MAX_CANDIDATES)) {
    let check: SignatureCheck
    try {
      check = await entry.signatureCheck(alg)
    } catch {
      continue // Web Crypto refused this key (e.g. an EC point off its curve): it verifies nothing.
    }
    const signed = check(token)
    if (signed === true || (signed !== false && (await signed))) return
    signatureFailed = true
  }
  if (signatureFailed)
    throw new JWTVerificationError('ERR_JWT_SIGNATURE_INVALID', 'The token signature is invalid')
  throw new JWTVerificationError('ERR_JWKS_NO_MATCHING_KEY', 'No usable key matches the token')
}

/**
 * Creates a verifier for JWTs from one issuer. Options and static keys are checked here, so a
 * misconfiguration fails at start-up; remote keys load on first use or on {@link TokenVerifier.ready}.
 *
 * The algorithm is the allow-list ∩ what the selected key can verify; the header's `alg` only
 * selects among those. `iss` is compared exactly, `aud` must contain a configured audience, and
 * `exp`/`nbf`/`iat` are checked with `leeway` seconds.
 */
export function createTokenVerifier<C extends JWTClaims = JWTClaims>(
  options: TokenVerifierOptions,
): TokenVerifier<C> {
  checkVerifierOptions(options)
  const allowed = resolveAlgorithms(options.algorithms)
  const tokenType = options.tokenType ?? 'any'
  const required = new Set(options.requiredClaims ?? ['exp'])
  if (tokenType === 'id') for (const claim of ID_TOKEN_CLAIMS) required.add(claim)
  const rules: ClaimRules = {
    issuer: options.issuer,
    audiences: typeof options.audience === 'string' ? [options.audience] : [...options.audience],
    leeway: options.leeway ?? 5,
    maxTokenAge: options.maxTokenAge,
    requiredClaims: [...required],
  }
  const maxTokenLength = options.maxTokenLength ?? 8192
  const keys = keySource(options)
  const cache =
    options.cache === false ? undefined : new LruCache<CachedToken>(options.cache?.maxEntries ?? 1000)

  /**
   * Verifications under way, by token: a burst of requests carrying the same new token (a client
   * fanning out right after login) checks its signature once. Entries leave when they settle.
   */
  const inflight = cache === undefined ? undefined : new Map<string, Promise<C>>()

  function cached(token: string): C | undefined {
    if (cache === undefined || typeof token !== 'string') return undefined
    const key = token.slice(-CACHE_KEY_LENGTH)
    const hit = cache.get(key)
    if (hit === undefined || hit.token !== token) return undefined
    if (hit.expiresAt > Date.now()) return hit.claims as C
    cache.delete(key)
    return undefined
  }

  async function verifyUncached(token: string): Promise<C> {
    const [headerSegment, payloadSegment] = splitCompact(token, maxTokenLength)
    const header = decodeHeader(headerSegment)
    if (!allowed.has(header.alg)) {
      throw new JWTVerificationError('ERR_JWT_ALG_NOT_ALLOWED', 'The token algorithm is not allowed')
    }
    checkType(header, tokenType)
    const found = await keys.lookup(header.kid)
    const candidates = found.filter((entry) => entry.algorithms.has(header.alg))
    if (candidates.length === 0) {
      throw new JWTVerificationError('ERR_JWKS_NO_MATCHING_KEY', 'No usable key matches the token')
    }
    await verifySignature(token, header.alg, candidates)
    const claims = parsePayloadBytes(decodeCheckedBase64url(payloadSegment))
    validateClaims(claims, rules, Math.floor(Date.now() / 1000))
    deepFreeze(claims)
    if (cache !== undefined && typeof claims.exp === 'number') {
      // An entry lives no longer than the token would pass a full check: its exp, or its maximum age.
      const maxAgeEnd =
        rules.maxTokenAge === undefined ? claims.exp : (claims.iat as number) + rules.maxTokenAge
      cache.set(token.slice(-CACHE_KEY_LENGTH), {
        token,
        claims,
        expiresAt: Math.min(claims.exp, maxAgeEnd) * 1000,
      })
    }
    return claims as C
  }

  return {
    issuer: options.issuer,
    cached,
    verify(token: string): Promise<C> {
      const hit = cached(token)
      if (hit !== undefined) return Promise.resolve(hit)
      if (inflight === undefined || typeof token !== 'string') return verifyUncached(token)
      let pending = inflight.get(token)
      if (pending === undefined) {
        pending = verifyUncached(token)
        inflight.set(token, pending)
        const settle = () => inflight.delete(token)
        pending.then(settle, settle)
      }
      return pending
    },
    async ready() {
      try {
        await keys.ready()
      } catch (cause) {
        if (isAuthError(cause)) throw cause
        throw new InvalidPublicKeyError('The configured key was refused by Web Crypto', { cause })
      }
    },
    exportKeys: () => keys.export?.(),
  }
}
