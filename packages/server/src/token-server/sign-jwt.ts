/**
 * Signs a JWT (compact JWS, RFC 7515) with a `SigningKey`: natively through `node:crypto` where the
 * runtime lends it (one synchronous call, no worker-thread hop: native-crypto.ts), else with jose
 * on Web Crypto. Both produce the same JWS for the same key; a test verifies tokens of each path.
 */
import { base64url, CompactSign } from 'jose'
import type { SigningKey } from '../keys/signing-key-source.js'
import { type NativeCrypto, nativeCrypto } from '../native-crypto.js'

const encoder = new TextEncoder()
const keyObjects = new WeakMap<CryptoKey, ReturnType<NativeCrypto['KeyObject']['from']>>()
// The encoded protected header of each key and `typ`: the same for every token the key signs.
const encodedHeaders = new WeakMap<CryptoKey, Map<string, string>>()

function encodedHeader(key: SigningKey, typ: string): string {
  let byType = encodedHeaders.get(key.privateKey)
  if (byType === undefined) {
    byType = new Map()
    encodedHeaders.set(key.privateKey, byType)
  }
  let encoded = byType.get(typ)
  if (encoded === undefined) {
    encoded = base64url.encode(JSON.stringify({ typ, alg: key.alg, kid: key.kid }))
    byType.set(typ, encoded)
  }
  return encoded
}

function nativeSignature(native: NativeCrypto, key: SigningKey, input: Uint8Array): Uint8Array {
  let keyObject = keyObjects.get(key.privateKey)
  if (keyObject === undefined) {
    keyObject = native.KeyObject.from(key.privateKey)
    keyObjects.set(key.privateKey, keyObject)
  }
  switch (key.alg) {
    case 'EdDSA':
      return native.sign(null, input, keyObject)
    case 'ES256':
      // JWS wants R || S (RFC 7518 §3.4), not the DER node:crypto gives by default.
      return native.sign('sha256', input, { key: keyObject, dsaEncoding: 'ieee-p1363' })
    case 'RS256':
      return native.sign('sha256', input, keyObject)
    case 'PS256':
      // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
      return native.sign('sha256', input, {
        key: keyObject,
        padding: native.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
  }
}

/** The protected header is `{ typ, alg, kid }` of the key; `payload` is serialised as given. */
export async function signJwt(
  typ: string,
  payload: Record<string, unknown>,
  key: SigningKey,
  native: NativeCrypto | null = nativeCrypto(),
): Promise<string> {
  const json = JSON.stringify(payload)
  if (native === null) {
    return new CompactSign(encoder.encode(json))
      .setProtectedHeader({ typ, alg: key.alg, kid: key.kid })
      .sign(key.privateKey)
  }
  const input = `${encodedHeader(key, typ)}.${native.base64url(json)}`
  return `${input}.${native.base64url(nativeSignature(native, key, native.asciiBytes(input)))}`
}
