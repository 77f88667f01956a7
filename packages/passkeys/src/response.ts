/**
 * The first look at a browser's `PublicKeyCredential` JSON, before any parser sees it: every
 * field's type and size is checked (a megabyte of base64 never reaches the CBOR decoder), base64url
 * is strict, `id` must equal `rawId`. What passes is decoded with @simplewebauthn/server's own
 * helpers, each failure becoming a `PasskeyError` with a stable code instead of a library throw.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server'
import {
  decodeAttestationObject,
  isoBase64URL,
  type ParsedAuthenticatorData,
  parseAuthenticatorData,
} from '@simplewebauthn/server/helpers'
import { PasskeyError } from './errors.js'

/** Size limits, in base64url characters. Generous for every real authenticator, small enough to parse cheaply. */
export const LIMITS = {
  /** A credential id is at most 1023 bytes (WebAuthn §5.1): 1364 characters. */
  id: 1364,
  /** Client data carries our challenge (with a transaction text) and the origin. */
  clientDataJSON: 16_384,
  /** Packed / TPM attestation carries certificate chains; 64 KiB holds them with room. */
  attestationObject: 65_536,
  authenticatorData: 16_384,
  /** An ML-DSA-44 signature is 2420 bytes; RSA-4096 512. */
  signature: 8_192,
  /** A user handle is at most 64 bytes. */
  userHandle: 88,
} as const

const BASE64URL = /^[A-Za-z0-9_-]*$/

export interface ClientData {
  type: string
  challenge: string
  origin: string
  crossOrigin: boolean
}

export interface ParsedRegistration {
  response: RegistrationResponseJSON
  clientData: ClientData
  authData: ParsedAuthenticatorData
  format: string
  transports: string[]
}

export interface ParsedAssertion {
  response: AuthenticationResponseJSON
  clientData: ClientData
  authData: ParsedAuthenticatorData
  userHandle: string | undefined
}

function malformed(message: string, cause?: unknown): PasskeyError {
  return new PasskeyError('ERR_PASSKEY_MALFORMED', message, 400, cause === undefined ? undefined : { cause })
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(`${what} is not an object`)
  return value as Record<string, unknown>
}

/** A strict base64url string within `limit` characters (no padding, no other alphabet). */
function base64url(value: unknown, field: string, limit: number, required = true): string | undefined {
  if (value === undefined && !required) return undefined
  if (typeof value !== 'string') throw malformed(`"${field}" is not a string`)
  if (value.length > limit) throw new PasskeyError('ERR_PASSKEY_TOO_LARGE', `"${field}" is too large`)
  if (!BASE64URL.test(value) || value.length % 4 === 1 || (required && value.length === 0)) {
    throw malformed(`"${field}" is not base64url`)
  }
  return value
}

function credentialEnvelope(input: unknown): {
  id: string
  body: Record<string, unknown>
  response: Record<string, unknown>
} {
  const body = record(input, 'The credential')
  const id = base64url(body.id, 'id', LIMITS.id) as string
  const rawId = base64url(body.rawId, 'rawId', LIMITS.id) as string
  if (id !== rawId) throw new PasskeyError('ERR_PASSKEY_ID_MISMATCH', '"id" and "rawId" differ')
  if (body.type !== 'public-key') throw malformed('"type" is not "public-key"')
  return { id, body, response: record(body.response, '"response"') }
}

function clientDataOf(encoded: string): ClientData {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(isoBase64URL.toBuffer(encoded)))
  } catch (cause) {
    throw malformed('"clientDataJSON" is not JSON', cause)
  }
  const data = record(parsed, '"clientDataJSON"')
  if (
    typeof data.type !== 'string' ||
    typeof data.challenge !== 'string' ||
    typeof data.origin !== 'string'
  ) {
    throw malformed('"clientDataJSON" lacks type, challenge or origin')
  }
  // A ceremony inside another site's iframe: refused, as `origins` lists top-level pages only.
  const crossOrigin = data.crossOrigin === true || data.topOrigin !== undefined
  return { type: data.type, challenge: data.challenge, origin: data.origin, crossOrigin }
}

function authDataOf(bytes: Uint8Array<ArrayBuffer>): ParsedAuthenticatorData {
  try {
    return parseAuthenticatorData(bytes)
  } catch (cause) {
    throw malformed('The authenticator data is malformed', cause)
  }
}

/** Checks and decodes `navigator.credentials.create()`'s JSON (as `@simplewebauthn/browser` sends it). */
export function parseRegistration(input: unknown): ParsedRegistration {
  const { id, body, response } = credentialEnvelope(input)
  const clientDataJSON = base64url(response.clientDataJSON, 'clientDataJSON', LIMITS.clientDataJSON) as string
  const attestationObject = base64url(
    response.attestationObject,
    'attestationObject',
    LIMITS.attestationObject,
  ) as string
  const transports = transportsOf(response.transports)
  const clientData = clientDataOf(clientDataJSON)
  let decoded: ReturnType<typeof decodeAttestationObject>
  try {
    decoded = decodeAttestationObject(isoBase64URL.toBuffer(attestationObject))
  } catch (cause) {
    throw malformed('"attestationObject" is not CBOR', cause)
  }
  const rawAuthData = decoded.get('authData')
  const format = decoded.get('fmt')
  if (!(rawAuthData instanceof Uint8Array) || typeof format !== 'string') {
    throw malformed('"attestationObject" lacks authData or fmt')
  }
  const authData = authDataOf(rawAuthData as Uint8Array<ArrayBuffer>)
  if (authData.credentialID === undefined || authData.credentialPublicKey === undefined) {
    throw malformed('The authenticator data carries no credential')
  }
  if (isoBase64URL.fromBuffer(authData.credentialID) !== id) {
    throw new PasskeyError('ERR_PASSKEY_ID_MISMATCH', 'The attested credential id is not "id"')
  }
  const clientExtensionResults =
    typeof body.clientExtensionResults === 'object' && body.clientExtensionResults !== null
      ? body.clientExtensionResults
      : {}
  const normalised = {
    id,
    rawId: id,
    type: 'public-key',
    response: { clientDataJSON, attestationObject, transports },
    clientExtensionResults,
  } as RegistrationResponseJSON
  return { response: normalised, clientData, authData, format, transports }
}

/** Checks and decodes `navigator.credentials.get()`'s JSON. */
export function parseAssertion(input: unknown): ParsedAssertion {
  const { id, body, response } = credentialEnvelope(input)
  const clientDataJSON = base64url(response.clientDataJSON, 'clientDataJSON', LIMITS.clientDataJSON) as string
  const authenticatorData = base64url(
    response.authenticatorData,
    'authenticatorData',
    LIMITS.authenticatorData,
  ) as string
  const signature = base64url(response.signature, 'signature', LIMITS.signature) as string
  // Browsers send `null` or omit it for non-discoverable credentials.
  const userHandle =
    response.userHandle === null || response.userHandle === ''
      ? undefined
      : base64url(response.userHandle, 'userHandle', LIMITS.userHandle, false)
  const clientData = clientDataOf(clientDataJSON)
  const authData = authDataOf(isoBase64URL.toBuffer(authenticatorData))
  const clientExtensionResults =
    typeof body.clientExtensionResults === 'object' && body.clientExtensionResults !== null
      ? body.clientExtensionResults
      : {}
  const normalised = {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON,
      authenticatorData,
      signature,
      ...(userHandle === undefined ? {} : { userHandle }),
    },
    clientExtensionResults,
  } as AuthenticationResponseJSON
  return { response: normalised, clientData, authData, userHandle }
}

const TRANSPORT = /^[a-z-]{1,32}$/

function transportsOf(value: unknown): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > 8) throw malformed('"transports" is not a short list')
  const out: string[] = []
  for (const item of value) {
    if (typeof item !== 'string' || !TRANSPORT.test(item))
      throw malformed('"transports" holds a non-transport')
    if (!out.includes(item)) out.push(item)
  }
  return out
}
