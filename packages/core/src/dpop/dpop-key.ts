/**
 * The client's DPoP key pair (RFC 9449 §2): the private key signs proofs, the public JWK travels in
 * each proof's header, and its RFC 7638 thumbprint is what the server binds tokens to (`cnf.jkt`).
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { ConfigurationError } from '../errors.js'

/** Algorithms a DPoP key may use: asymmetric only (RFC 9449 §4.2), as servers commonly accept them. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA', 'Ed25519'] as const
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number]

/** A DPoP key pair. The private key is a Web Crypto key, non-extractable unless asked otherwise. */
export interface DPoPKey {
  readonly alg: DpopAlgorithm
  readonly privateKey: CryptoKey
  /** The public key as a JWK with its public members only (what goes into the proof header). */
  readonly publicJwk: Readonly<JWK>
  /** RFC 7638 SHA-256 thumbprint of `publicJwk`, base64url: the `jkt` tokens are bound to. */
  readonly thumbprint: string
}

export interface CreateDpopKeyOptions {
  /** Signing algorithm. Default: `'ES256'` (the one every DPoP server supports). */
  alg?: DpopAlgorithm
  /**
   * Whether the private key can be exported (`exportDpopKey`), for keys that must outlive the
   * process (a web session's key, kept sealed in the session). Default: `false`.
   */
  extractable?: boolean
}

// Only these members describe a public key; anything else (`d`, `p`, `ext`, `key_ops`) stays out.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
}

const KNOWN: ReadonlySet<string> = new Set(DPOP_ALGORITHMS)

function checkAlg(alg: unknown): DpopAlgorithm {
  if (typeof alg !== 'string' || !KNOWN.has(alg)) {
    throw new ConfigurationError(`DPoP "alg" must be one of ${DPOP_ALGORITHMS.join(', ')}`)
  }
  return alg as DpopAlgorithm
}

function publicMembers(jwk: JWK): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? '']
  if (members === undefined) throw new ConfigurationError('A DPoP key must be an EC, RSA or OKP key')
  const out: Record<string, unknown> = {}
  for (const name of members) {
    if (typeof jwk[name as keyof JWK] !== 'string') {
      throw new ConfigurationError(`The DPoP public key has no "${name}"`)
    }
    out[name] = jwk[name as keyof JWK]
  }
  return out as JWK
}

async function keyOf(alg: DpopAlgorithm, privateKey: CryptoKey, publicJwk: JWK): Promise<DPoPKey> {
  const jwk = Object.freeze(publicMembers(publicJwk))
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256')
  return Object.freeze({ alg, privateKey, publicJwk: jwk, thumbprint })
}

/** Generates a DPoP key pair (Web Crypto, through jose). */
export async function createDpopKey(options: CreateDpopKeyOptions = {}): Promise<DPoPKey> {
  const alg = checkAlg(options.alg ?? 'ES256')
  const pair = await generateKeyPair(alg, { extractable: options.extractable === true })
  return keyOf(alg, pair.privateKey, await exportJWK(pair.publicKey))
}

/**
 * The private JWK of an extractable key (created with `extractable: true`), with its `alg`: what
 * `importDpopKey` reads back. A secret: keep it only where tokens are kept (sealed, server-side).
 */
export async function exportDpopKey(key: DPoPKey): Promise<JWK> {
  if (!key.privateKey.extractable) {
    throw new ConfigurationError('This DPoP key is not extractable: create it with "extractable: true"')
  }
  const { ext: _ext, key_ops: _ops, ...jwk } = await exportJWK(key.privateKey)
  return { ...jwk, alg: key.alg }
}

/**
 * A DPoP key from a private JWK (as `exportDpopKey` wrote it, or your own with `alg`). The imported
 * private key is not extractable.
 */
export async function importDpopKey(jwk: JWK, alg?: DpopAlgorithm): Promise<DPoPKey> {
  if (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string') {
    throw new ConfigurationError('A DPoP key must be a private JWK (with "d")')
  }
  const algorithm = checkAlg(alg ?? jwk.alg)
  const privateKey = await importJWK(jwk, algorithm, { extractable: false })
  if (!(typeof privateKey === 'object' && 'type' in privateKey && privateKey.type === 'private')) {
    throw new ConfigurationError('A DPoP key must be an asymmetric private key')
  }
  return keyOf(algorithm, privateKey, jwk)
}

/** Whether `value` looks like a {@link DPoPKey} (by shape: another copy of this package's keys pass too). */
export function isDpopKey(value: unknown): value is DPoPKey {
  if (typeof value !== 'object' || value === null) return false
  const key = value as Partial<DPoPKey>
  return (
    typeof key.thumbprint === 'string' &&
    typeof key.publicJwk === 'object' &&
    key.publicJwk !== null &&
    typeof key.alg === 'string' &&
    KNOWN.has(key.alg) &&
    typeof key.privateKey === 'object' &&
    key.privateKey !== null &&
    (key.privateKey as CryptoKey).type === 'private'
  )
}
