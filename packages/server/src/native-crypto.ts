/**
 * `node:crypto` where the runtime lends it without an import (`process.getBuiltinModule`: Node ≥
 * 20.16, Bun, Deno), for the token server's per-request operations: the secret's HMAC, the access
 * token's signature and the digest of an assertion's `jti`. Web Crypto does both everywhere, but each of its calls is a promise
 * settled from a worker thread, and on a loaded server that hop costs more than the cryptography
 * (measured by `pnpm bench:token`, bench/README.md). Edge runtimes and Workers get `null` and stay
 * on Web Crypto, with identical results: same HMAC bytes, same JWS signatures (both RFC 7518).
 */

interface NodeKeyObject {
  readonly type: string
}

export interface NativeCrypto {
  createHmac(
    algorithm: 'sha256',
    key: Uint8Array,
  ): {
    update(data: string): { digest(): Uint8Array }
  }
  createHash(algorithm: 'sha256'): {
    update(data: string): { digest(): Uint8Array; digest(encoding: 'base64'): string }
  }
  sign(
    algorithm: string | null,
    data: Uint8Array,
    key: NodeKeyObject | { key: NodeKeyObject; dsaEncoding?: string; padding?: number; saltLength?: number },
  ): Uint8Array
  KeyObject: { from(key: CryptoKey): NodeKeyObject }
  constants: { RSA_PKCS1_PSS_PADDING: number }
  /** base64url without padding, natively (`Buffer`): text is encoded as UTF-8 first. */
  base64url(data: string | Uint8Array): string
  /** The bytes of a text that is known to be ASCII (a JWS signing input). */
  asciiBytes(text: string): Uint8Array
  /** The SHA-256 of a text's UTF-8, in base64 with padding. */
  sha256Base64(text: string): string
  /** base64url (padded or not) decoded and read as UTF-8; invalid characters are skipped, as `Buffer` does. */
  base64urlText(encoded: string): string
}

interface NodeBuffer extends Uint8Array {
  toString(encoding?: 'base64url' | 'utf8'): string
}
interface NodeBufferClass {
  from(text: string, encoding: 'utf8' | 'latin1' | 'base64url'): NodeBuffer
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBuffer
}

let probed: NativeCrypto | null | undefined

/** The lent `node:crypto`, or `null` where there is none. Probed once. */
export function nativeCrypto(): NativeCrypto | null {
  if (probed !== undefined) return probed
  probed = null
  try {
    const lend = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
      ?.getBuiltinModule
    if (typeof lend !== 'function') return null
    const crypto = lend('node:crypto') as Partial<NativeCrypto> | undefined
    const Buffer = (lend('node:buffer') as { Buffer?: NodeBufferClass } | undefined)?.Buffer
    if (
      typeof crypto?.createHmac === 'function' &&
      typeof crypto.createHash === 'function' &&
      typeof crypto.sign === 'function' &&
      typeof crypto.KeyObject?.from === 'function' &&
      crypto.constants !== undefined &&
      typeof Buffer?.from === 'function'
    ) {
      const { createHash } = crypto
      const hashOnce = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string })
        .hash
      probed = {
        createHmac: crypto.createHmac,
        createHash,
        sign: crypto.sign,
        KeyObject: crypto.KeyObject,
        constants: crypto.constants,
        // Several times faster than a `btoa` over a binary string (jose's way, for every runtime).
        base64url: (data) =>
          (typeof data === 'string'
            ? Buffer.from(data, 'utf8')
            : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          ).toString('base64url'),
        asciiBytes: (text) => Buffer.from(text, 'latin1'),
        // `crypto.hash` (Node ≥ 20.12) is a one-shot digest without a Hash object per call.
        sha256Base64:
          typeof hashOnce === 'function'
            ? (text) => hashOnce('sha256', text, 'base64')
            : (text) => createHash('sha256').update(text).digest('base64'),
        base64urlText: (encoded) => Buffer.from(encoded, 'base64url').toString('utf8'),
      }
    }
  } catch {
    // A runtime that refuses the lookup has no native path.
  }
  return probed
}
