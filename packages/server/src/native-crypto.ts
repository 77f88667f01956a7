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
  createHash(algorithm: 'sha256'): { update(data: string): { digest(): Uint8Array } }
  sign(
    algorithm: string | null,
    data: Uint8Array,
    key: NodeKeyObject | { key: NodeKeyObject; dsaEncoding?: string; padding?: number; saltLength?: number },
  ): Uint8Array
  KeyObject: { from(key: CryptoKey): NodeKeyObject }
  constants: { RSA_PKCS1_PSS_PADDING: number }
}

let probed: NativeCrypto | null | undefined

/** The lent `node:crypto`, or `null` where there is none. Probed once. */
export function nativeCrypto(): NativeCrypto | null {
  if (probed !== undefined) return probed
  probed = null
  try {
    const lend = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
      ?.getBuiltinModule
    const crypto = typeof lend === 'function' ? (lend('node:crypto') as Partial<NativeCrypto>) : undefined
    if (
      typeof crypto?.createHmac === 'function' &&
      typeof crypto.createHash === 'function' &&
      typeof crypto.sign === 'function' &&
      typeof crypto.KeyObject?.from === 'function'
    ) {
      probed = crypto as NativeCrypto
    }
  } catch {
    // A runtime that refuses the lookup has no native path.
  }
  return probed
}
