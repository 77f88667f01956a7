import { createRequire } from 'node:module'
import { vi } from 'vitest'

/**
 * Counts signature checks on whichever path the verifier takes: `node:crypto`'s `verify` (the
 * native path on Node) and Web Crypto's `subtle.verify` (the portable one). Call `restore()`.
 */
export function spyOnSignatureChecks(): { count(): number; restore(): void } {
  const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
  const native = vi.spyOn(nodeCrypto, 'verify')
  const subtle = vi.spyOn(crypto.subtle, 'verify')
  return {
    // The one-time probe of a key's native check verifies an all-zero signature: not a token check.
    count: () =>
      native.mock.calls.filter(([, , , signature]) => !(signature as Uint8Array).every((byte) => byte === 0))
        .length + subtle.mock.calls.length,
    restore() {
      native.mockRestore()
      subtle.mockRestore()
    },
  }
}
