import { createDpopPolicy, type DpopPolicy } from '../dpop/policy.js'
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
import { warnOncePerCause } from '../lib/warn-once.js'
import { type ClaimRules, type JWTClaims, validateClaims } from './claims.js'
import { decodeHeader, type JWTHeader, parsePayloadBytes, splitCompact } from './decode.js'
import { createRevocationChecker } from './revocation.js'
import { checkVerifierOptions, type TokenType, type TokenVerifierOptions } from './verifier-options.js'

export interface TokenVerifier<C extends JWTClaims = JWTClaims> {
  /** The configured issuer: how a resource server routes tokens to this verifier. */
  readonly issuer: string
  /**
   * Verifies a compact JWT and returns its claims (deeply frozen). Rejects with a
   * {@link JWTVerificationError} (401), or {@link KeysUnavailableError} (503) when no key can be had
   * ({@link RevocationUnavailableError}, 503, when the `revocation` check fails).
   */
  verify(token: string): Promise<C>
  /**
   * The claims of a token verified earlier and still unexpired, without any work; else `undefined`.
   * With a `revocation` check, only while a "not revoked" answer for it is cached.
   */
  cached(token: string): C | undefined
  /** Loads and imports keys now (instead of on the first request); rejects with what requests would see. */
  ready(): Promise<void>
  /** Snapshot of remote keys (and discovered metadata) for a later cold start; `undefined` for static keys. */
  exportKeys(): JwksSnapshot | DiscoverySnapshot | undefined
  /** The resolved `dpop` option, which `authenticate` applies. */
  readonly dpop: DpopPolicy
}

interface CachedToken {
  /** The whole token: a hit must match it exactly, not just the key. */
  token: string
  claims: JWTClaims
  /** Epoch milliseconds: the token's `exp`. */
  expiresAt: number
  /** The key that verified the token: once it leaves the key set, the entry is dropped. */
  key: KeyEntry
  /** The key set the key was last seen in (an identity check on a hit; rechecked when it changes). */
  keySet: readonly KeyEntry[]
}

// The cache is keyed by the token's last characters (its signature): hashing a whole token costs
// more than verifying a cached one otherwise would. A hit is confirmed against the whole token, so
// a colliding key can only cause a miss.
const CACHE_KEY_LENGTH = 32
// A token without `kid` is tried against at most this many keys, bounding the work one token can cause.
const MAX_CANDIDATES = 8
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt'])
const ID_TOKEN_CLAIMS = ['sub', 'iat', 'exp']
/** `typ` values an issuer that does not type its access tokens uses (RFC 7519 §5.1). */
const UNTYPED_TYPES = new Set(['jwt', 'application/jwt'])
const ID_TOKEN_ONLY_CLAIMS = ['nonce', 'at_hash', 'c_hash', 's_hash']

function isRemoteJwks(value: unknown): value is RemoteJwks {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RemoteJwks).lookup === 'function' &&
    typeof (value as RemoteJwks).current === 'function'
  )
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
  const typ = header.typ?.toLowerCase()
  const isAccess = typ !== undefined && ACCESS_TOKEN_TYPES.has(typ)
  if (tokenType === 'access' && !isAccess) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An access token (typ "at+jwt", RFC 9068) is required; for an issuer that does not type its access tokens, set tokenType "untyped-access"',
    )
  }
  if (tokenType === 'untyped-access' && !isAccess && typ !== undefined && !UNTYPED_TYPES.has(typ)) {
    throw new JWTClaimValidationError('ERR_JWT_TYPE_INVALID', 'typ', 'The token is not an access token')
  }
  if (tokenType === 'id' && isAccess) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An ID token is required, not an access token',
    )
  }
  // OIDC Back-Channel Logout §2.4: a logout token must never pass for an ID token.
  if (tokenType === 'id' && (typ === 'logout+jwt' || typ === 'application/logout+jwt')) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An ID token is required, not a logout token',
    )
  }
}

/**
 * For `untyped-access`: an untyped token carrying a claim only ID tokens have (OpenID Connect
 * Core §2, §3.1.3.6, FAPI `s_hash`; Keycloak's `typ: "ID"`, Cognito's `token_use: "id"`) is an
 * ID token, refused.
 */
function checkNotIdToken(header: JWTHeader, claims: JWTClaims): void {
  if (header.typ !== undefined && ACCESS_TOKEN_TYPES.has(header.typ.toLowerCase())) return
  if (
    ID_TOKEN_ONLY_CLAIMS.some((claim) => claims[claim] !== undefined) ||
    claims['typ'] === 'ID' ||
    claims['token_use'] === 'id'
  ) {
    throw new JWTClaimValidationError(
      'ERR_JWT_TYPE_INVALID',
      'typ',
      'An ID token is not accepted as an access token',
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

/** Tries the candidate keys in turn; resolves with the one that signed the token. */
async function verifySignature(
  token: string,
  alg: string,
  candidates: readonly KeyEntry[],
): Promise<KeyEntry> {
  let signatureFailed = false
  for (const entry of candidates.slice(0, MAX_CANDIDATES)) {
    let check: SignatureCheck
    try {
      check = await entry.signatureCheck(alg)
    } catch {
      continue // Web Crypto refused this key (e.g. an EC point off its curve): it verifies nothing.
    }
    const signed = check(token)
    if (signed === true || (signed !== false && (await signed))) return entry
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
  const tokenType = options.tokenType ?? 'access'
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
  // Read at each call, not captured: a clock swapped later (fake timers) is the one that counts.
  const now = options.now ?? (() => Date.now())
  const dpop = createDpopPolicy(options.dpop)
  const keys = keySource(options)
  const warner = warnOncePerCause(options.onWarning, options.issuer)
  const cache =
    options.cache === false ? undefined : new LruCache<CachedToken>(options.cache?.maxEntries ?? 1000)

  /**
   * Verifications under way, by token: a burst of requests carrying the same new token (a client
   * fanning out right after login) checks its signature once. Entries leave when they settle.
   */
  const inflight = cache === undefined ? undefined : new Map<string, Promise<C>>()
  const revocation =
    options.revocation === undefined
      ? undefined
      : createRevocationChecker(
          options.revocation,
          options.cache === false ? 1000 : (options.cache?.maxEntries ?? 1000),
        )

  function cached(token: string): C | undefined {
    const hit = cachedClaims(token)
    return hit === undefined || revocation === undefined || revocation.knownGood(hit) ? hit : undefined
  }

  /** A token-cache hit, before any revocation check. */
  function cachedClaims(token: string): C | undefined {
    if (cache === undefined || typeof token !== 'string') return undefined
    const key = token.slice(-CACHE_KEY_LENGTH)
    const hit = cache.get(key)
    if (hit === undefined || hit.token !== token) return undefined
    if (hit.expiresAt > now() && keyStillHeld(hit)) return hit.claims as C
    cache.delete(key)
    return undefined
  }

  /** Whether the key that verified a cached token is still in the set (one identity check when unchanged). */
  function keyStillHeld(hit: CachedToken): boolean {
    const keySet = keys.current()
    if (keySet === hit.keySet) return true
    if (!keySet.includes(hit.key)) return false
    hit.keySet = keySet
    return true
  }

  async function verifyUncached(token: string): Promise<C> {
    const [headerSegment, payloadSegment] = splitCompact(token, maxTokenLength)
    const header = decodeHeader(headerSegment)
    if (!allowed.has(header.alg)) {
      throw new JWTVerificationError('ERR_JWT_ALG_NOT_ALLOWED', 'The token algorithm is not allowed')
    }
    checkType(header, tokenType)
    let found: readonly KeyEntry[]
    try {
      found = await keys.lookup(header.kid)
    } catch (error) {
      if (isAuthError(error) && error.status === 503) warner.report(error)
      throw error
    }
    warner.recovered()
    const candidates = found.filter((entry) => entry.algorithms.has(header.alg))
    if (candidates.length === 0) {
      throw new JWTVerificationError('ERR_JWKS_NO_MATCHING_KEY', 'No usable key matches the token')
    }
    const key = await verifySignature(token, header.alg, candidates)
    const claims = parsePayloadBytes(decodeCheckedBase64url(payloadSegment))
    if (tokenType === 'untyped-access') checkNotIdToken(header, claims)
    validateClaims(claims, rules, Math.floor(now() / 1000))
    deepFreeze(claims)
    // The set held now, which a refresh may have replaced while the signature was checked: a
    // token is cached only if its key is still in it, so no entry is tied to a set without its key.
    const keySet = keys.current()
    if (cache !== undefined && typeof claims.exp === 'number' && keySet.includes(key)) {
      // An entry lives no longer than the token would pass a full check: its exp, or its maximum age.
      const maxAgeEnd =
        rules.maxTokenAge === undefined ? claims.exp : (claims.iat as number) + rules.maxTokenAge
      cache.set(token.slice(-CACHE_KEY_LENGTH), {
        token,
        claims,
        expiresAt: Math.min(claims.exp, maxAgeEnd) * 1000,
        key,
        keySet,
      })
    }
    return claims as C
  }

  /** Signature and claims checked, from the token cache or merged with a verification under way. */
  function verifySignedClaims(token: string): Promise<C> {
    const hit = cachedClaims(token)
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
  }

  return {
    issuer: options.issuer,
    dpop,
    cached,
    verify(token: string): Promise<C> {
      const verified = verifySignedClaims(token)
      // Every path, the cached one included, passes the revocation check when one is configured.
      return revocation === undefined ? verified : verified.then((claims) => revocation.check(claims))
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
