/**
 * Delegation keys for the local demos, derived from fixed seeds so the dev IdP and every demo
 * process agree on them without files or configuration. Anyone can derive them: development only.
 * Real deployments generate keys with `org-auth-keys generate` (@org/auth-server).
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto'

// PKCS#8 (RFC 8410) headers of a raw 32-byte Ed25519 / X25519 private key.
const PKCS8_PREFIX = {
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
}

export interface DevKeyPair {
  privateKeyPem: string
  publicKeyPem: string
}

function derive(curve: 'ed25519' | 'x25519', party: string): DevKeyPair {
  const seed = createHash('sha256').update(`org-auth dev delegation ${curve} ${party}`).digest()
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX[curve], seed]),
    format: 'der',
    type: 'pkcs8',
  })
  return {
    privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString(),
  }
}

/** The signing (Ed25519) and encryption (X25519) pairs of one party: `idp` or a demo's client id. */
export function devDelegationKeys(party: string): { signing: DevKeyPair; encryption: DevKeyPair } {
  return { signing: derive('ed25519', party), encryption: derive('x25519', party) }
}
