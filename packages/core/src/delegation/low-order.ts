/**
 * X25519 public values of small order (RFC 7748 §6.1; cr.yp.to/ecdh.html#validate): with any
 * private key they give an all-zero shared secret, so an attacker who chooses one fixes the key
 * that ECDH-ES derives. Web Crypto on Node refuses the derivation, but not every runtime promises
 * to, so ephemeral and configured keys are checked here first.
 *
 * X25519 ignores the top bit of the last byte (RFC 7748 §5), so it is cleared before comparing;
 * the list then covers the 14 encodings of Wycheproof's `LowOrderPublic` vectors.
 */
const LOW_ORDER = new Set([
  // 0 and 1
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  // points of order 8
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  // p - 1 (order 2), and the non-canonical p (= 0) and p + 1 (= 1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
])

function base64urlToBytes(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return undefined
  const padded = value.replace(/-/g, '+').replace(/_/g, '/')
  try {
    const binary = atob(padded + '='.repeat((4 - (padded.length % 4)) % 4))
    return Uint8Array.from(binary, (char) => char.charCodeAt(0))
  } catch {
    return undefined
  }
}

/** True for a base64url X25519 `x` that is not 32 bytes or is one of the low-order values. */
export function isUnsafeX25519(x: string): boolean {
  const bytes = base64urlToBytes(x)
  if (bytes === undefined || bytes.length !== 32) return true
  bytes[31] = (bytes[31] as number) & 0x7f
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return LOW_ORDER.has(hex)
}
