import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'

/** Signing algorithms the dev IdP always publishes a key for. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** JWK members that only exist on private keys (RSA and EC). */
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'])

export interface SigningKey {
  readonly alg: SigningAlg
  readonly kid: string
  /** Private JWK with `kid`, `alg` and `use: 'sig'`; handed to oidc-provider's `jwks`. */
  readonly privateJwk: JWK
  /** Public half, as published on the JWKS endpoint. */
  readonly publicJwk: JWK
}

export function toPublicJwk(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK
}

/** Generates one extractable key pair for `alg` and exports it as JWKs identified by their RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlg): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const exported = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint(exported, 'sha256')
  const privateJwk: JWK = { ...exported, kid, alg, use: 'sig' }
  return { alg, kid, privateJwk, publicJwk: toPublicJwk(privateJwk) }
}

/**
 * The IdP's signing keys, newest first. oidc-provider picks the first key matching an algorithm,
 * so keeping the newest generation at the front makes it the primary key while older keys stay
 * published (and usable for verification) until they are dropped.
 */
export class KeyRing {
  #keys: SigningKey[] = []

  static async create(): Promise<KeyRing> {
    const ring = new KeyRing()
    await ring.rotate({ dropOld: true })
    return ring
  }

  /** Adds a fresh key of every supported algorithm in front of the existing ones. */
  async rotate({ dropOld = false }: { dropOld?: boolean } = {}): Promise<void> {
    const fresh = await Promise.all(SIGNING_ALGS.map((alg) => generateSigningKey(alg)))
    this.#keys = dropOld ? fresh : [...fresh, ...this.#keys]
  }

  /** The key currently used to sign tokens with `alg`. */
  primary(alg: SigningAlg): SigningKey {
    const key = this.#keys.find((candidate) => candidate.alg === alg)
    if (!key) throw new Error(`dev-idp: no ${alg} signing key`)
    return key
  }

  get keys(): readonly SigningKey[] {
    return this.#keys
  }

  privateJwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((key) => structuredClone(key.privateJwk)) }
  }

  publicJwks(): { keys: Record<string, unknown>[] } {
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })) }
  }
}
