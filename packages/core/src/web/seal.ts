/**
 * Sealed cookie values: a compact JWE (`dir`, `A256GCM`, RFC 7516), so a cookie is both secret
 * and tamper-evident. Keys are derived with HKDF-SHA-256 from the application's secrets, one key
 * per secret and purpose: a transaction cookie cannot be replayed as a session cookie, and the
 * list of secrets gives rotation (the first seals, all unseal, the `kid` picks the key).
 */
import { EncryptJWT, jwtDecrypt } from 'jose'
import { ConfigurationError } from '../errors.js'
import { isProduction } from '../lib/environment.js'
import { weakness } from './weak-secrets.js'

/** Below this, a secret is guessable offline from one cookie. */
const MIN_SECRET_LENGTH = 32
const encoder = new TextEncoder()

interface DerivedKey {
  kid: string
  key: Uint8Array
}

export interface Unsealed {
  payload: Record<string, unknown>
  /** False when a retired secret sealed the value: the caller should reseal it. */
  current: boolean
}

export interface Sealer {
  /** Seals `payload`, valid until `expiresAt` (epoch seconds). */
  seal(payload: Record<string, unknown>, expiresAt: number): Promise<string>
  /** The payload, or `undefined` for a value that is tampered, expired, or sealed with an unknown secret. */
  unseal(value: string): Promise<Unsealed | undefined>
}

/**
 * Checks the `secrets` option: one secret or a non-empty list, each long enough and, in
 * production, none of the published or development values (unless `allowWeak`).
 */
export function checkSecrets(secrets: unknown, option: string, allowWeak = false): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigurationError(`"${option}" must be a secret or a non-empty list of secrets`)
  }
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigurationError(
        `Every "${option}" entry must be a string of at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`,
      )
    }
    const weak = allowWeak || !isProduction() ? undefined : weakness(secret)
    if (weak !== undefined) {
      throw new ConfigurationError(
        `An entry of "${option}" ${weak}: in production (NODE_ENV=production) use a random one (\`openssl rand -base64 32\`)`,
      )
    }
  }
  return list as string[]
}

function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

async function derive(secret: string, purpose: string): Promise<DerivedKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveBits'])
  const bits = (info: string, length: number) =>
    crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(info) },
      material,
      length,
    )
  const [key, kid] = await Promise.all([
    bits(`org-auth ${purpose} A256GCM`, 256),
    // The kid names the secret without revealing anything about the key.
    bits(`org-auth ${purpose} kid`, 64),
  ])
  return { key: new Uint8Array(key), kid: base64url(new Uint8Array(kid)) }
}

/** A sealer for one purpose (`session`, `transaction`) over the given secrets, newest first; `now` in epoch ms. */
export function createSealer(
  secrets: readonly string[],
  purpose: string,
  now: () => number = Date.now,
): Sealer {
  let keys: Promise<DerivedKey[]> | undefined
  const derived = () => {
    keys ??= Promise.all(secrets.map((secret) => derive(secret, purpose)))
    return keys
  }
  return {
    async seal(payload, expiresAt) {
      const [current] = await derived()
      if (current === undefined) throw new ConfigurationError('No secret to seal with')
      return new EncryptJWT(payload)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: current.kid })
        .setIssuedAt(Math.floor(now() / 1000))
        .setExpirationTime(expiresAt)
        .encrypt(current.key)
    },
    async unseal(value) {
      const all = await derived()
      let used: DerivedKey | undefined
      try {
        const { payload } = await jwtDecrypt(
          value,
          (header) => {
            used = all.find((candidate) => candidate.kid === header.kid)
            if (used === undefined) throw new Error('unknown kid')
            return used.key
          },
          {
            keyManagementAlgorithms: ['dir'],
            contentEncryptionAlgorithms: ['A256GCM'],
            currentDate: new Date(now()),
          },
        )
        return { payload: payload as Record<string, unknown>, current: used === all[0] }
      } catch {
        // Tampered, expired, retired: all mean "no valid value"; the reason is not the client's business.
        return undefined
      }
    },
  }
}
