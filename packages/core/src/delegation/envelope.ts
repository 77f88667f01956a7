/**
 * The two layers of every delegation message: a compact JWS (EdDSA / Ed25519) signed by the
 * sender, inside a compact JWE (ECDH-ES+A256KW with X25519, A256GCM) to the recipient. Headers
 * are checked against allow-lists before any cryptography runs, so that a message can never
 * nominate its own key (`jwk`, `jku`, `x5u`, `x5c`), pick an algorithm (`none`, `HS256`), or
 * demand an extension (`crit`).
 */
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify } from 'jose'
import { DelegationProtocolError } from './errors.js'
import type { DelegationKey } from './keys.js'
import { isUnsafeX25519 } from './low-order.js'
import {
  ACCEPTED_SIGNATURE_ALGORITHMS,
  CONTENT_ENCRYPTION_ALGORITHM,
  KEY_MANAGEMENT_ALGORITHM,
  SIGNATURE_ALGORITHM,
} from './protocol.js'

/** Header parameters a message may carry; anything else is refused. */
const JWE_HEADER = new Set(['alg', 'enc', 'kid', 'epk', 'cty', 'apu', 'apv'])
const JWS_HEADER = new Set(['alg', 'kid', 'typ'])
const KEY_NOMINATING = new Set(['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'])

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function fail(code: string, message: string, cause?: unknown): DelegationProtocolError {
  return new DelegationProtocolError(code, message, cause === undefined ? undefined : { cause })
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(segment)) throw new TypeError('not base64url')
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/')
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
    value = JSON.parse(decoder.decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))))
  } catch (cause) {
    throw fail('ERR_DELEGATION_MALFORMED', `The ${what} is not base64url-encoded JSON`, cause)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('ERR_DELEGATION_MALFORMED', `The ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

function checkHeader(header: Record<string, unknown>, allowed: ReadonlySet<string>, layer: string): void {
  for (const name of Object.keys(header)) {
    if (name === 'crit') {
      throw fail(
        'ERR_DELEGATION_CRIT_UNSUPPORTED',
        `The ${layer} header has "crit"; no extension is understood`,
      )
    }
    if (KEY_NOMINATING.has(name)) {
      throw fail(
        'ERR_DELEGATION_HEADER_FORBIDDEN',
        `The ${layer} header has "${name}": a message never nominates its own key`,
      )
    }
    if (!allowed.has(name)) {
      // The name is attacker-chosen: only echo it when short and plain.
      const shown = /^[A-Za-z0-9_#-]{1,32}$/.test(name) ? `"${name}"` : 'an unknown parameter'
      throw fail('ERR_DELEGATION_HEADER_FORBIDDEN', `The ${layer} header has ${shown}`)
    }
  }
}

function selectKey(keys: readonly DelegationKey[], kid: unknown, layer: string): DelegationKey {
  if (typeof kid !== 'string') throw fail('ERR_DELEGATION_KEY_UNKNOWN', `The ${layer} header has no "kid"`)
  const key = keys.find((candidate) => candidate.kid === kid)
  if (key === undefined) {
    throw fail('ERR_DELEGATION_KEY_UNKNOWN', `The ${layer} "kid" names no pinned key`)
  }
  return key
}

/** Signs `payload` as a compact JWS with `typ` and the key's `kid`. */
export async function signEnvelope(
  payload: Record<string, unknown>,
  typ: string,
  signer: DelegationKey,
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: SIGNATURE_ALGORITHM, kid: signer.kid, typ })
    .sign(signer.key)
}

/** Encrypts a compact JWS to `recipient` (an X25519 public key) as a compact JWE. */
export async function encryptEnvelope(jws: string, recipient: DelegationKey): Promise<string> {
  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({
      alg: KEY_MANAGEMENT_ALGORITHM,
      enc: CONTENT_ENCRYPTION_ALGORITHM,
      kid: recipient.kid,
      cty: 'JWT',
    })
    .encrypt(recipient.key)
}

/** Signs, then encrypts: what every authenticated message on the wire is. */
export async function sealEnvelope(
  payload: Record<string, unknown>,
  typ: string,
  signer: DelegationKey,
  recipient: DelegationKey,
): Promise<string> {
  return encryptEnvelope(await signEnvelope(payload, typ, signer), recipient)
}

/**
 * Decrypts a compact JWE with the private key its `kid` names among `keys`, after checking its
 * header, and returns the compact JWS inside. Every failure is a {@link DelegationProtocolError}.
 */
export async function decryptEnvelope(jwe: string, keys: readonly DelegationKey[]): Promise<string> {
  const segments = jwe.split('.')
  if (segments.length !== 5) throw fail('ERR_DELEGATION_MALFORMED', 'The message is not a compact JWE')
  const header = decodeSegment(segments[0] as string, 'JWE header')
  checkHeader(header, JWE_HEADER, 'JWE')
  if (header['alg'] !== KEY_MANAGEMENT_ALGORITHM || header['enc'] !== CONTENT_ENCRYPTION_ALGORITHM) {
    throw fail(
      'ERR_DELEGATION_ALG_NOT_ALLOWED',
      `The JWE must use "${KEY_MANAGEMENT_ALGORITHM}" with "${CONTENT_ENCRYPTION_ALGORITHM}"`,
    )
  }
  if (header['cty'] !== 'JWT') throw fail('ERR_DELEGATION_MALFORMED', 'The JWE "cty" must be "JWT"')
  const key = selectKey(keys, header['kid'], 'JWE')
  const epk = header['epk'] as Record<string, unknown> | undefined
  if (
    typeof epk !== 'object' ||
    epk === null ||
    epk['kty'] !== 'OKP' ||
    epk['crv'] !== 'X25519' ||
    typeof epk['x'] !== 'string' ||
    Object.keys(epk).some((name) => name !== 'kty' && name !== 'crv' && name !== 'x') ||
    isUnsafeX25519(epk['x'])
  ) {
    throw fail('ERR_DELEGATION_EPK_INVALID', 'The JWE "epk" is not a usable X25519 public key')
  }
  let plaintext: Uint8Array
  try {
    ;({ plaintext } = await compactDecrypt(jwe, key.key, {
      keyManagementAlgorithms: [KEY_MANAGEMENT_ALGORITHM],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION_ALGORITHM],
    }))
  } catch (cause) {
    throw fail('ERR_DELEGATION_DECRYPTION_FAILED', 'The JWE does not decrypt', cause)
  }
  try {
    return decoder.decode(plaintext)
  } catch (cause) {
    throw fail('ERR_DELEGATION_MALFORMED', 'The JWE plaintext is not UTF-8', cause)
  }
}

/** A compact JWS's header and payload, NOT verified: for choosing keys and echoing `jti` only. */
export function peekEnvelope(
  jws: string,
): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  const segments = jws.split('.')
  if (segments.length !== 3) return undefined
  try {
    return {
      header: decodeSegment(segments[0] as string, 'JWS header'),
      payload: decodeSegment(segments[1] as string, 'JWS payload'),
    }
  } catch {
    return undefined
  }
}

/**
 * Verifies a compact JWS against the key its `kid` names among `keys` (pinned keys only), after
 * checking its header and `typ`, and returns its payload.
 */
export async function verifyEnvelope(
  jws: string,
  typ: string,
  keys: readonly DelegationKey[],
): Promise<Record<string, unknown>> {
  const segments = jws.split('.')
  if (segments.length !== 3) throw fail('ERR_DELEGATION_MALFORMED', 'The message is not a compact JWS')
  const header = decodeSegment(segments[0] as string, 'JWS header')
  checkHeader(header, JWS_HEADER, 'JWS')
  if (typeof header['alg'] !== 'string' || !ACCEPTED_SIGNATURE_ALGORITHMS.includes(header['alg'])) {
    throw fail('ERR_DELEGATION_ALG_NOT_ALLOWED', 'The JWS must be signed with EdDSA (Ed25519)')
  }
  if (header['typ'] !== typ) throw fail('ERR_DELEGATION_TYPE_INVALID', `The JWS "typ" must be "${typ}"`)
  const key = selectKey(keys, header['kid'], 'JWS')
  try {
    await compactVerify(jws, key.key, { algorithms: [...ACCEPTED_SIGNATURE_ALGORITHMS] })
  } catch (cause) {
    throw fail('ERR_DELEGATION_SIGNATURE_INVALID', 'The JWS signature does not verify', cause)
  }
  // The verified bytes are exactly this segment's: decode it like the header.
  return decodeSegment(segments[1] as string, 'JWS payload')
}
