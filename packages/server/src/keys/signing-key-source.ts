/**
 * What the token server needs from its signing keys: the key that signs now, and every public key
 * a verifier may meet (the signing one, the next one published before it signs, and retired ones
 * until every token they signed has expired). The key store implements it with rotation and
 * encryption at rest; a fixed set of keys (tests, a single static key) implements it too.
 */
import type { JWK } from 'jose'

/** The algorithms the token server signs with (RFC 7518, RFC 8037). */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'PS256'

export interface SigningKey {
  /** Published as the JWK's `kid` and put in each token's header. */
  kid: string
  alg: SigningAlgorithm
  /** Web Crypto private key, usable by `jose`'s `SignJWT`. */
  privateKey: CryptoKey
}

export interface SigningKeySource {
  /** The key that signs now. It was published (in `publicJwks`) before it started signing. */
  signingKey(): Promise<SigningKey>
  /** Every public key to publish at `jwks_uri`: `kid`, `alg`, `use: "sig"`, no private members. */
  publicJwks(): Promise<{ keys: JWK[] }>
}
