/**
 * A fixed set of signing keys as a `SigningKeySource`: for tests and for a deployment with one
 * static key. No rotation: the first key signs, all of them are published. The key store (with
 * rotation and encryption at rest) is the production source.
 */
import { ConfigurationError } from '@org/auth-core'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import type { SigningAlgorithm, SigningKey, SigningKeySource } from '../keys/signing-key-source.js'

/** A signing key with its public half, as `generateSigningKey` makes it. */
export interface GeneratedSigningKey extends SigningKey {
  /** The public key as a JWK: `kty` and key members, `kid`, `alg`, `use: "sig"`. */
  publicJwk: JWK
}

const ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256']

/**
 * Generates a key pair for `alg` (default EdDSA, Ed25519). The private key is not extractable; the
 * public key is exported to a JWK whose `kid` is its RFC 7638 thumbprint.
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'EdDSA'): Promise<GeneratedSigningKey> {
  if (!ALGORITHMS.includes(alg)) {
    throw new ConfigurationError(`"alg" must be one of ${ALGORITHMS.join(', ')}`)
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, alg, privateKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } }
}

/**
 * The keys as a source: the first signs, every one is published. Each key needs its public JWK
 * (`publicJwk`, as `generateSigningKey` returns it) so it can be published.
 */
export function staticSigningKeys(keys: readonly GeneratedSigningKey[]): SigningKeySource {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigurationError('staticSigningKeys() needs at least one key')
  }
  const kids = new Set<string>()
  const published: JWK[] = keys.map((key) => {
    if (typeof key?.kid !== 'string' || key.kid === '' || kids.has(key.kid)) {
      throw new ConfigurationError('Every signing key needs a distinct, non-empty "kid"')
    }
    if (!ALGORITHMS.includes(key.alg) || typeof key.publicJwk !== 'object' || key.publicJwk === null) {
      throw new ConfigurationError('Every signing key needs an "alg" and its public JWK in "publicJwk"')
    }
    kids.add(key.kid)
    // Only the public members: a JWK carrying `d` (or RSA's primes) would publish the private key.
    const { d, p, q, dp, dq, qi, oth, k, ...publicMembers } = key.publicJwk
    if ([d, p, q, dp, dq, qi, oth, k].some((member) => member !== undefined)) {
      throw new ConfigurationError('"publicJwk" holds private key material')
    }
    return { ...publicMembers, kid: key.kid, alg: key.alg, use: 'sig' }
  })
  const signer: SigningKey = { kid: keys[0].kid, alg: keys[0].alg, privateKey: keys[0].privateKey }
  return {
    signingKey: async () => signer,
    publicJwks: async () => ({ keys: published.map((jwk) => ({ ...jwk })) }),
  }
}
