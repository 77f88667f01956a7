import { calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, importSPKI, type JWK } from 'jose'
import { InvalidPublicKeyError } from '../errors.js'
import { InvalidPrivateKeyError } from './errors.js'
import { isUnsafeX25519 } from './low-order.js'
import { KEY_MANAGEMENT_ALGORITHM, SIGNATURE_ALGORITHM } from './protocol.js'

/**
 * A delegation key as configured: a PEM string (`PRIVATE KEY` PKCS#8 for private keys, `PUBLIC
 * KEY` SPKI for public keys), a JWK object, or a JWK as a JSON string. PEM read from an
 * environment variable may keep its line breaks as literal `\n`.
 */
export type DelegationKeyInput = string | JWK

/** What a key is for: Ed25519 signing / verification, X25519 decryption / encryption. */
export type DelegationKeyUse = 'sign' | 'verify' | 'decrypt' | 'encrypt'

/** An imported key: non-extractable when private, with its `kid` (the RFC 7638 thumbprint). */
export interface DelegationKey {
  readonly key: CryptoKey
  /** RFC 7638 SHA-256 thumbprint of the public key: both ends compute it, nothing to configure. */
  readonly kid: string
  /** The public half as a JWK (`kty`, `crv`, `x`), for registering the key with a peer. */
  readonly publicJwk: JWK
  readonly use: DelegationKeyUse
}

const SHAPE = {
  sign: { crv: 'Ed25519', alg: SIGNATURE_ALGORITHM, isPrivate: true },
  verify: { crv: 'Ed25519', alg: SIGNATURE_ALGORITHM, isPrivate: false },
  decrypt: { crv: 'X25519', alg: KEY_MANAGEMENT_ALGORITHM, isPrivate: true },
  encrypt: { crv: 'X25519', alg: KEY_MANAGEMENT_ALGORITHM, isPrivate: false },
} as const

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----$/

function fail(use: DelegationKeyUse, message: string, cause?: unknown): Error {
  const options = cause === undefined ? undefined : { cause }
  return SHAPE[use].isPrivate
    ? new InvalidPrivateKeyError(message, options)
    : new InvalidPublicKeyError(message, options)
}

function expectedKind(use: DelegationKeyUse): string {
  const { crv, isPrivate } = SHAPE[use]
  return `an ${crv} ${isPrivate ? 'private key (PKCS#8 "PRIVATE KEY" PEM or JWK with "d")' : 'public key (SPKI "PUBLIC KEY" PEM or JWK without "d")'}`
}

async function fromPem(text: string, use: DelegationKeyUse, option: string): Promise<CryptoKey> {
  const match = PEM.exec(text)
  if (match === null) throw fail(use, `"${option}" is not a well-formed PEM block`)
  const label = match[1]
  const { alg, isPrivate } = SHAPE[use]
  const expected = isPrivate ? 'PRIVATE KEY' : 'PUBLIC KEY'
  if (label !== expected) {
    const hint = label?.includes('PRIVATE') && !isPrivate ? '; never configure a peer with a private key' : ''
    throw fail(use, `"${option}" must be ${expectedKind(use)}, not a "${label}" PEM${hint}`)
  }
  try {
    // Extractable only long enough to read the public half (see importDelegationKey).
    return isPrivate
      ? await importPKCS8(text, alg, { extractable: true })
      : await importSPKI(text, alg, { extractable: true })
  } catch (cause) {
    throw fail(use, `"${option}" is not ${expectedKind(use)}`, cause)
  }
}

async function fromJwk(value: unknown, use: DelegationKeyUse, option: string): Promise<CryptoKey> {
  const { crv, alg, isPrivate } = SHAPE[use]
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(use, `"${option}" must be a PEM string or a JWK object`)
  }
  const jwk = value as JWK
  if (jwk.kty !== 'OKP' || jwk.crv !== crv) throw fail(use, `"${option}" must be ${expectedKind(use)}`)
  if (isPrivate && typeof jwk.d !== 'string') throw fail(use, `"${option}" must be ${expectedKind(use)}`)
  if (!isPrivate && jwk.d !== undefined) {
    throw fail(use, `"${option}" is a private JWK; configure the peer's public key only`)
  }
  try {
    const key = await importJWK({ kty: 'OKP', crv, x: jwk.x, ...(isPrivate ? { d: jwk.d } : {}) }, alg, {
      extractable: true,
    })
    if (!(key instanceof CryptoKey)) throw new TypeError('not an asymmetric key')
    return key
  } catch (cause) {
    throw fail(use, `"${option}" is not ${expectedKind(use)}`, cause)
  }
}

/**
 * Imports a configured key for one use and checks it fits (curve, private or public), so that a
 * wrong key fails at start-up with a message naming `option`, never at the first request. A
 * private key is re-imported non-extractable once its public half has been read.
 */
export async function importDelegationKey(
  input: DelegationKeyInput,
  use: DelegationKeyUse,
  option: string,
): Promise<DelegationKey> {
  const { crv, alg, isPrivate } = SHAPE[use]
  let key: CryptoKey
  if (typeof input === 'string') {
    const text = input.replace(/\\n/g, '\n').trim()
    if (text.startsWith('-----BEGIN')) key = await fromPem(text, use, option)
    else if (text.startsWith('{')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (cause) {
        throw fail(use, `"${option}" looks like a JWK but is not valid JSON`, cause)
      }
      key = await fromJwk(parsed, use, option)
    } else throw fail(use, `"${option}" must be a PEM block or a JWK`)
  } else key = await fromJwk(input, use, option)
  if (key.algorithm.name !== crv) throw fail(use, `"${option}" must be ${expectedKind(use)}`)
  const exported = await exportJWK(key)
  const publicJwk: JWK = { kty: 'OKP', crv, x: exported.x as string }
  if (crv === 'X25519' && isUnsafeX25519(publicJwk.x as string)) {
    throw fail(use, `"${option}" is a low-order X25519 point, which no real key is`)
  }
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256')
  if (isPrivate) {
    const privateKey = await importJWK({ ...publicJwk, d: exported.d as string }, alg, { extractable: false })
    key = privateKey as CryptoKey
  }
  return { key, kid, publicJwk: { ...publicJwk, kid }, use }
}

/** {@link importDelegationKey} for an option that takes one key or several (rotation). */
export async function importDelegationKeys(
  input: DelegationKeyInput | readonly DelegationKeyInput[],
  use: DelegationKeyUse,
  option: string,
): Promise<DelegationKey[]> {
  if (!Array.isArray(input)) return [await importDelegationKey(input as DelegationKeyInput, use, option)]
  const list = input as readonly DelegationKeyInput[]
  if (list.length === 0) throw fail(use, `"${option}" must hold at least one key`)
  return Promise.all(list.map((item, index) => importDelegationKey(item, use, `${option}[${index}]`)))
}
