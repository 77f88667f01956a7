/**
 * A software authenticator for hostile tests, built in the test only: it makes the bytes a real
 * authenticator would (authenticator data, client data, a `none` attestation, ES256 signatures)
 * but lets a test set every flag, counter, origin and RP ID hash, and sign what it changed. CBOR
 * comes from @simplewebauthn/server's encoder; the relying party under test never sees this code.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers'

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const

export interface SoftCredential {
  id: string
  privateKey: KeyObject
  cose: Uint8Array
  userHandle: string
  counter: number
}

export interface Tamper {
  origin?: string
  type?: string
  rpId?: string
  flags?: number
  counter?: number
  challenge?: string
  userHandle?: string | null
}

const sha256 = (data: Uint8Array | string): Uint8Array =>
  new Uint8Array(createHash('sha256').update(data).digest())
const b64 = (bytes: Uint8Array) => isoBase64URL.fromBuffer(bytes as Uint8Array<ArrayBuffer>)

export function newCredential(userId: string): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, isoBase64URL.toBuffer(jwk.x as string)],
      [-3, isoBase64URL.toBuffer(jwk.y as string)],
    ]),
  )
  const id = b64(crypto.getRandomValues(new Uint8Array(32)))
  return { id, privateKey, cose, userHandle: b64(new TextEncoder().encode(userId)), counter: 0 }
}

function clientData(type: string, challenge: string, origin: string): string {
  return b64(new TextEncoder().encode(JSON.stringify({ type, challenge, origin, crossOrigin: false })))
}

function authData(rpId: string, flags: number, counter: number, attested?: SoftCredential): Uint8Array {
  const head = new Uint8Array(37)
  head.set(sha256(rpId), 0)
  head[32] = flags
  new DataView(head.buffer).setUint32(33, counter)
  if (attested === undefined) return head
  const id = isoBase64URL.toBuffer(attested.id)
  const body = new Uint8Array(16 + 2 + id.length + attested.cose.length)
  new DataView(body.buffer).setUint16(16, id.length)
  body.set(id, 18)
  body.set(attested.cose, 18 + id.length)
  const out = new Uint8Array(head.length + body.length)
  out.set(head)
  out.set(body, head.length)
  return out
}

/** A `navigator.credentials.create()` answer to `options`, with attestation `none`. */
export function attest(
  credential: SoftCredential,
  options: { challenge: string; rp: { id?: string } },
  origin: string,
  tamper: Tamper = {},
) {
  const data = authData(
    tamper.rpId ?? options.rp.id ?? 'localhost',
    tamper.flags ?? FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS | FLAG.AT,
    tamper.counter ?? credential.counter,
    credential,
  )
  const attestationObject = isoCBOR.encode(
    new Map<string, unknown>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', data],
    ]) as Parameters<typeof isoCBOR.encode>[0],
  )
  return {
    id: credential.id,
    rawId: credential.id,
    type: 'public-key',
    response: {
      clientDataJSON: clientData(
        tamper.type ?? 'webauthn.create',
        tamper.challenge ?? options.challenge,
        tamper.origin ?? origin,
      ),
      attestationObject: b64(attestationObject),
      transports: ['internal', 'hybrid'],
    },
    clientExtensionResults: {},
  }
}

/** A `navigator.credentials.get()` answer to `options`, signed; moves the counter by one unless told. */
export function assertWith(
  credential: SoftCredential,
  options: { challenge: string; rpId?: string },
  origin: string,
  tamper: Tamper = {},
) {
  if (tamper.counter === undefined) credential.counter += 1
  const counter = tamper.counter ?? credential.counter
  const data = authData(
    tamper.rpId ?? options.rpId ?? 'localhost',
    tamper.flags ?? FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS,
    counter,
  )
  const clientDataJSON = clientData(
    tamper.type ?? 'webauthn.get',
    tamper.challenge ?? options.challenge,
    origin && (tamper.origin ?? origin),
  )
  const signed = new Uint8Array([...data, ...sha256(isoBase64URL.toBuffer(clientDataJSON))])
  const signature = sign('sha256', signed, credential.privateKey) // DER, as WebAuthn's ES256 is
  const userHandle = tamper.userHandle === undefined ? credential.userHandle : tamper.userHandle
  return {
    id: credential.id,
    rawId: credential.id,
    type: 'public-key',
    response: {
      clientDataJSON,
      authenticatorData: b64(data),
      signature: b64(new Uint8Array(signature)),
      ...(userHandle === null ? {} : { userHandle }),
    },
    clientExtensionResults: {},
  }
}
