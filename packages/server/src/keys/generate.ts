/**
 * New signing keys, and the public half of a private JWK: what is published is rebuilt from the
 * members each key type defines as public (RFC 7518 §6, RFC 8037 §2), so a private member can
 * never reach a JWKS, whatever a record holds.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { KeyRingError } from './errors.js'
import type { SigningAlgorithm } from './signing-key-source.js'

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256']

const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['crv', 'x'],
  EC: ['crv', 'x', 'y'],
  RSA: ['e', 'n'],
}

export function checkAlgorithm(alg: unknown): asserts alg is SigningAlgorithm {
  if (!SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)) {
    throw new KeyRingError(
      'ERR_KEY_ALGORITHM',
      `A signing key's algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`,
    )
  }
}

/** The public JWK to publish: `kty`, its public members, `kid`, `alg`, `use: "sig"`; nothing else. */
export function publicJwkOf(jwk: JWK, kid: string, alg: SigningAlgorithm): JWK {
  const members = PUBLIC_MEMBERS[jwk.kty ?? '']
  if (members === undefined)
    throw new KeyRingError('ERR_KEY_FORMAT', `Signing key ${kid} has an unknown key type`)
  const out: JWK = { kty: jwk.kty }
  for (const member of members) {
    const value = (jwk as Record<string, unknown>)[member]
    if (typeof value !== 'string')
      throw new KeyRingError('ERR_KEY_FORMAT', `Signing key ${kid} lacks "${member}"`)
    ;(out as Record<string, unknown>)[member] = value
  }
  return { ...out, kid, alg, use: 'sig' }
}

export interface GeneratedKey {
  kid: string
  publicJwk: JWK
  /** The private key as a JWK (its public members included), to be sealed. */
  privateJwk: JWK
}

/** A new key pair for `alg`, its `kid` the RFC 7638 SHA-256 thumbprint of the public key. */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  modulusLength: number,
): Promise<GeneratedKey> {
  const options =
    alg === 'RS256' || alg === 'PS256' ? { modulusLength, extractable: true } : { extractable: true }
  const { privateKey } = await generateKeyPair(alg, options)
  const exported = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint(exported, 'sha256')
  // Only the JWK's key members are sealed: not `ext` or `key_ops`, which the import sets itself.
  const { ext: _ext, key_ops: _ops, ...privateJwk } = exported
  return { kid, publicJwk: publicJwkOf(privateJwk, kid, alg), privateJwk }
}
