import { importJWK, importSPKI, type JWK } from 'jose'
import { algorithmsForKey, type KeyShape } from './algorithms.js'
import { type SignatureCheck, signatureCheck } from './signature-check.js'

/** One verification key, with the algorithms it may verify and its Web Crypto imports. */
export interface KeyEntry {
  readonly kid: string | undefined
  /** Algorithms this key can verify (key type ∩ its declared `alg`); the verifier intersects its allow-list. */
  readonly algorithms: ReadonlySet<string>
  /** The public JWK, when the key came as one: what a JWKS cache snapshot exports. */
  readonly jwk: JWK | undefined
  /** The imported key for `alg`, memoised: Web Crypto binds a key to one algorithm. */
  cryptoKey(alg: string): Promise<CryptoKey>
  /** The signature check for `alg` over that key (native where the runtime has it), memoised. */
  signatureCheck(alg: string): Promise<SignatureCheck>
}

type Importer = (alg: string) => Promise<CryptoKey>

class ImportedKey implements KeyEntry {
  readonly #imports = new Map<string, Promise<CryptoKey>>()
  readonly #checks = new Map<string, SignatureCheck>()
  constructor(
    readonly kid: string | undefined,
    readonly algorithms: ReadonlySet<string>,
    readonly jwk: JWK | undefined,
    private readonly importer: Importer,
  ) {}

  cryptoKey(alg: string): Promise<CryptoKey> {
    let pending = this.#imports.get(alg)
    if (pending === undefined) {
      pending = this.importer(alg)
      // A failed import is not cached: the next request may retry (and fail loudly again).
      pending.catch(() => this.#imports.delete(alg))
      this.#imports.set(alg, pending)
    }
    return pending
  }

  async signatureCheck(alg: string): Promise<SignatureCheck> {
    let check = this.#checks.get(alg)
    if (check === undefined) {
      check = signatureCheck(await this.cryptoKey(alg), alg)
      this.#checks.set(alg, check)
    }
    return check
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
const MIN_RSA_BITS = 2048

function isBase64url(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && /^[A-Za-z0-9_-]+$/.test(value)
}

/**
 * Vets a JWK as a public signature-verification key. Returns the entry, or why it can't be one:
 * symmetric and private keys, `use` other than `sig`, `key_ops` without `verify`, unknown curves,
 * RSA moduli under 2048 bits and malformed members are all refused.
 */
export function keyEntryFromJwk(input: unknown): KeyEntry | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'a JWK must be an object'
  const jwk = input as JWK
  if (jwk.kty === 'oct') return 'symmetric (oct) keys are never accepted'
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP')
    return `unsupported "kty" ${String(jwk.kty)}`
  for (const member of PRIVATE_MEMBERS) {
    if ((jwk as Record<string, unknown>)[member] !== undefined)
      return `the key has private member "${member}"`
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return `"use" is ${String(jwk.use)}, not sig`
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return '"key_ops" does not include verify'
  }
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return '"kid" must be a string'
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return '"alg" must be a string'
  if (jwk.kty === 'RSA') {
    if (!isBase64url(jwk.n) || !isBase64url(jwk.e)) return 'an RSA key needs base64url "n" and "e"'
    if (Math.floor((jwk.n.length * 6) / 8) * 8 < MIN_RSA_BITS)
      return `the RSA modulus is under ${MIN_RSA_BITS} bits`
  } else if (jwk.kty === 'EC') {
    if (!isBase64url(jwk.x) || !isBase64url(jwk.y)) return 'an EC key needs base64url "x" and "y"'
  } else if (!isBase64url(jwk.x)) {
    return 'an OKP key needs a base64url "x"'
  }
  const shape: KeyShape = { kty: jwk.kty as KeyShape['kty'] }
  if (jwk.crv !== undefined) shape.crv = String(jwk.crv)
  if (jwk.alg !== undefined) shape.alg = jwk.alg
  const algorithms = algorithmsForKey(shape)
  if (typeof algorithms === 'string') return algorithms
  const publicJwk: JWK = { ...jwk }
  delete publicJwk.ext
  return new ImportedKey(
    jwk.kid,
    algorithms,
    publicJwk,
    (alg) => importJWK({ ...publicJwk, ext: false }, alg) as Promise<CryptoKey>,
  )
}

/** A key entry for a SubjectPublicKeyInfo in PEM form (from a PEM key or a certificate). */
export function keyEntryFromSpki(pem: string, shape: KeyShape, kid?: string): KeyEntry | string {
  const algorithms = algorithmsForKey(shape)
  if (typeof algorithms === 'string') return algorithms
  return new ImportedKey(kid, algorithms, undefined, (alg) => importSPKI(pem, alg))
}
