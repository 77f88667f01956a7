/**
 * Challenges that need no server-side record of their own beyond two single-use keys in the
 * application's `OneTimeStore` (memory, Redis or PostgreSQL, shared by every instance).
 *
 * A challenge is bytes the relying party chose and the authenticator signs (inside
 * `clientDataJSON`). Ours carry what verification must know, so nothing else is stored:
 *
 *   version (1) · purpose (1) · nonce (16) · expiresAt (8, epoch s) · user (32) · text (0..n)
 *
 * `user` is SHA-256 of the user id the challenge was issued to (zeros for a usernameless sign-in);
 * `text` is a transaction's UTF-8 text, so the signature covers the very text the user approved
 * and a signature for one text cannot approve another.
 *
 * That the relying party issued a challenge is recorded at issue time (`issued:` key, until it
 * expires); its use burns a `used:` key. Verification burns `used:` first, then asks `issued:`:
 * a `true` there means it was never issued (or has expired), and the burnt `used:` key keeps a
 * forged challenge from passing on a second try. Both are atomic in every `OneTimeStore`, so of
 * two concurrent uses of a challenge exactly one gets past `used:`.
 */
import type { OneTimeStore } from '@org/auth-core'
import { isoBase64URL } from '@simplewebauthn/server/helpers'
import { PasskeyError } from './errors.js'

export type ChallengePurpose = 'registration' | 'authentication' | 'transaction'

const VERSION = 1
const PURPOSES: readonly ChallengePurpose[] = ['registration', 'authentication', 'transaction']
const HEADER = 1 + 1 + 16 + 8 + 32

export interface ChallengeContents {
  purpose: ChallengePurpose
  /** Epoch seconds. */
  expiresAt: number
  /** SHA-256 of the user id, or `undefined` for an anonymous sign-in. */
  userHash: Uint8Array | undefined
  text: string | undefined
}

export async function sha256(data: Uint8Array | string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

async function storeKey(kind: 'issued' | 'used', challenge: string): Promise<string> {
  // Hashed, as the core's one-time keys are: whoever reads the store cannot answer a challenge.
  return `org-auth:passkey-${kind}:${isoBase64URL.fromBuffer(await sha256(challenge))}`
}

export interface IssueInput {
  purpose: ChallengePurpose
  userId: string | undefined
  text: string | undefined
  nonce: Uint8Array
  expiresAt: number
}

/** Builds a challenge and records that it was issued. Returns it base64url-encoded. */
export async function issueChallenge(store: OneTimeStore, input: IssueInput): Promise<string> {
  const text = input.text === undefined ? new Uint8Array(0) : new TextEncoder().encode(input.text)
  const bytes = new Uint8Array(HEADER + text.length)
  bytes[0] = VERSION
  bytes[1] = PURPOSES.indexOf(input.purpose) + 1
  if (input.nonce.length !== 16) throw new TypeError('A challenge nonce is 16 bytes')
  bytes.set(input.nonce, 2)
  new DataView(bytes.buffer).setBigUint64(18, BigInt(input.expiresAt))
  if (input.userId !== undefined) bytes.set(await sha256(input.userId), 26)
  bytes.set(text, HEADER)
  const challenge = isoBase64URL.fromBuffer(bytes)
  if (!(await store.consume(await storeKey('issued', challenge), input.expiresAt))) {
    // Only a random source that repeats itself gets here: refuse rather than issue a challenge twice.
    throw new Error('A passkey challenge was issued twice: the random source repeats')
  }
  return challenge
}

/** Reads a challenge from `clientDataJSON`; `ERR_PASSKEY_CHALLENGE_UNKNOWN` for anything we could not have issued. */
export function readChallenge(challenge: string): ChallengeContents {
  const unknown = () => new PasskeyError('ERR_PASSKEY_CHALLENGE_UNKNOWN', 'The challenge was not issued here')
  if (!/^[A-Za-z0-9_-]+$/.test(challenge)) throw unknown()
  const bytes = isoBase64URL.toBuffer(challenge)
  if (bytes.length < HEADER || bytes[0] !== VERSION) throw unknown()
  const purpose = PURPOSES[(bytes[1] ?? 0) - 1]
  if (purpose === undefined) throw unknown()
  const expiresAt = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(18))
  const user = bytes.slice(26, HEADER)
  let text: string | undefined
  if (purpose === 'transaction') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.slice(HEADER))
    } catch {
      throw unknown()
    }
  } else if (bytes.length !== HEADER) {
    throw unknown()
  }
  return { purpose, expiresAt, userHash: user.every((byte) => byte === 0) ? undefined : user, text }
}

/** True when `hash` is SHA-256 of `userId`. */
export async function isUserHash(hash: Uint8Array, userId: string): Promise<boolean> {
  const expected = await sha256(userId)
  let difference = 0
  for (let i = 0; i < 32; i++) difference |= (expected[i] ?? 0) ^ (hash[i] ?? 0)
  return difference === 0
}

/**
 * Burns the challenge: `ERR_PASSKEY_CHALLENGE_USED` when it was used before,
 * `ERR_PASSKEY_CHALLENGE_UNKNOWN` when it was never issued or its record has expired.
 */
export async function consumeChallenge(
  store: OneTimeStore,
  challenge: string,
  expiresAt: number,
): Promise<void> {
  if (!(await store.consume(await storeKey('used', challenge), expiresAt))) {
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_USED', 'The challenge was already used')
  }
  if (await store.consume(await storeKey('issued', challenge), expiresAt)) {
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_UNKNOWN', 'The challenge was not issued here')
  }
}
