import { ConfigurationError } from '../errors.js'

/**
 * Asymmetric JWS algorithms a verifier can accept. HMAC (`HS*`) and `none` are deliberately
 * absent: a verifier holds public keys only, so "HMAC with the public key as secret" can't happen.
 */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const

export type SignatureAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number]

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS)

/** The shape of a public key that decides which algorithms it can verify. */
export interface KeyShape {
  kty: 'RSA' | 'EC' | 'OKP'
  /** Curve for EC and OKP keys. */
  crv?: string
  /** The key's declared `alg`, which narrows the set to exactly one algorithm. */
  alg?: string
}

const EC_ALGORITHM: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']

/** Algorithms a key of this shape can verify, or an explanation of why it can verify none. */
export function algorithmsForKey(shape: KeyShape): ReadonlySet<string> | string {
  let candidates: string[]
  if (shape.kty === 'RSA') {
    candidates = RSA_ALGORITHMS
  } else if (shape.kty === 'EC') {
    const alg = shape.crv === undefined ? undefined : EC_ALGORITHM[shape.crv]
    if (alg === undefined) return `unsupported EC curve "${String(shape.crv)}"`
    candidates = [alg]
  } else {
    if (shape.crv !== 'Ed25519') return `unsupported OKP curve "${String(shape.crv)}"`
    candidates = ['EdDSA', 'Ed25519']
  }
  if (shape.alg !== undefined) {
    if (!candidates.includes(shape.alg)) return `"alg" ${shape.alg} does not fit a ${shape.kty} key`
    candidates = [shape.alg]
  }
  return new Set(candidates)
}

/** Validates a caller's `algorithms` option into an allow-list. */
export function resolveAlgorithms(algorithms: readonly string[] | undefined): ReadonlySet<string> {
  if (algorithms === undefined) return SUPPORTED
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new ConfigurationError('"algorithms" must be a non-empty array of JWS algorithm names')
  }
  for (const alg of algorithms) {
    if (!SUPPORTED.has(alg)) {
      throw new ConfigurationError(
        `"algorithms" contains "${String(alg)}"; supported: ${SUPPORTED_ALGORITHMS.join(', ')} (HMAC and "none" never are)`,
      )
    }
  }
  return new Set(algorithms)
}
