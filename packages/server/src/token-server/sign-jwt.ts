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

/** `header` gets the key's `alg` and `kid`; `payload` is serialised as given. */
export async function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: SigningKey,
  native: NativeCrypto | null = nativeCrypto(),
): Promise<string> {
  const protectedHeader = { ...header, alg: key.alg, kid: key.kid }
  const body = encoder.encode(JSON.stringify(payload))
  if (native === null) {
    return new CompactSign(body).setProtectedHeader(protectedHeader).sign(key.privateKey)
  }
  const input = `${base64url.encode(JSON.stringify(protectedHeader))}.${base64url.encode(body)}`
  return `${input}.${base64url.encode(nativeSignature(native, key, encoder.encode(input)))}`
}
