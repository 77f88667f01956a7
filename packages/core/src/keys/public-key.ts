import type { JWK } from 'jose'
import { InvalidPublicKeyError } from '../errors.js'
import { DerError, parseCertificateSpki, parseSpki, type SpkiInfo } from '../lib/der.js'
import { type KeyEntry, keyEntryFromJwk, keyEntryFromSpki } from './key-entry.js'

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JSONWebKeySet {
  keys: JWK[]
}

/**
 * A public key given directly: a PEM string (`PUBLIC KEY` SPKI or `CERTIFICATE`), a JWK, or a
 * JWK as a JSON string.
 */
export type PublicKeyInput = string | JWK

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----\s*$/

function base64Decode(body: string): Uint8Array {
  const binary = atob(body.replace(/[\r\n]/g, ''))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function toPem(der: Uint8Array): string {
  let binary = ''
  for (const byte of der) binary += String.fromCharCode(byte)
  const lines = btoa(binary).match(/.{1,64}/g) ?? []
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----`
}

function fromPem(text: string): KeyEntry {
  const match = PEM.exec(text)
  if (match === null) throw new InvalidPublicKeyError('The public key is not a well-formed PEM block')
  const [, label, body] = match as unknown as [string, string, string]
  if (label.includes('PRIVATE')) {
    throw new InvalidPublicKeyError(
      'A private key was given where a public key is expected; pass the public key',
    )
  }
  if (label === 'RSA PUBLIC KEY') {
    throw new InvalidPublicKeyError(
      'PKCS#1 "RSA PUBLIC KEY" PEM is not supported; convert it to SPKI ("PUBLIC KEY")',
    )
  }
  if (label !== 'PUBLIC KEY' && label !== 'CERTIFICATE') {
    throw new InvalidPublicKeyError(`Unsupported PEM type "${label}"; use "PUBLIC KEY" or "CERTIFICATE"`)
  }
  let info: SpkiInfo
  try {
    const der = base64Decode(body)
    info = label === 'CERTIFICATE' ? parseCertificateSpki(der) : parseSpki(der)
  } catch (cause) {
    const reason = cause instanceof DerError ? cause.message : 'invalid base64'
    throw new InvalidPublicKeyError(
      `The ${label === 'CERTIFICATE' ? 'certificate' : 'public key'} is malformed: ${reason}`,
      { cause },
    )
  }
  if (info.modulusBits !== undefined && info.modulusBits < 2048) {
    throw new InvalidPublicKeyError('RSA keys must be at least 2048 bits')
  }
  const shape = {
    kty: info.kty,
    ...(info.crv === undefined ? {} : { crv: info.crv }),
  }
  const entry = keyEntryFromSpki(toPem(info.spki), shape)
  if (typeof entry === 'string')
    throw new InvalidPublicKeyError(`The public key cannot verify signatures: ${entry}`)
  return entry
}

function fromJwk(jwk: unknown): KeyEntry {
  const entry = keyEntryFromJwk(jwk)
  if (typeof entry === 'string') throw new InvalidPublicKeyError(`The JWK cannot be used: ${entry}`)
  return entry
}

/**
 * Turns a statically configured key into verification entries, synchronously, so that a bad key
 * fails when the verifier is created rather than on the first request.
 */
export function parsePublicKey(input: PublicKeyInput): KeyEntry {
  if (typeof input === 'string') {
    const text = input.trim()
    if (text.startsWith('-----BEGIN')) return fromPem(text)
    if (text.startsWith('{')) {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (cause) {
        throw new InvalidPublicKeyError('The public key looks like JSON but does not parse', { cause })
      }
      return fromJwk(parsed)
    }
    throw new InvalidPublicKeyError(
      'The public key must be a PEM block ("-----BEGIN PUBLIC KEY-----") or a JWK',
    )
  }
  if (typeof input !== 'object' || input === null) {
    throw new InvalidPublicKeyError('The public key must be a PEM string or a JWK object')
  }
  return fromJwk(input)
}

/**
 * Reads a JWKS object. Keys that cannot verify signatures are skipped (as for a remote set),
 * but a set left with no usable key is an error.
 */
export function parseJwks(input: unknown, maxKeys = Number.POSITIVE_INFINITY): KeyEntry[] | string {
  if (typeof input !== 'object' || input === null || !Array.isArray((input as JSONWebKeySet).keys)) {
    return 'a JWKS must be an object with a "keys" array'
  }
  const keys = (input as JSONWebKeySet).keys
  if (keys.length > maxKeys) return `the JWKS has ${keys.length} keys, more than the limit of ${maxKeys}`
  const entries: KeyEntry[] = []
  for (const jwk of keys) {
    const entry = keyEntryFromJwk(jwk)
    if (typeof entry !== 'string') entries.push(entry)
  }
  return entries.length === 0 ? 'the JWKS has no key usable for signature verification' : entries
}

/** {@link parseJwks} for configuration: failures throw {@link InvalidPublicKeyError}. */
export function parseStaticJwks(input: unknown): KeyEntry[] {
  const entries = parseJwks(input)
  if (typeof entries === 'string') throw new InvalidPublicKeyError(`The JWKS cannot be used: ${entries}`)
  return entries
}
