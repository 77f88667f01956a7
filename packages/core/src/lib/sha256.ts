import { base64url } from 'jose'
import { nodeRuntime } from './node-runtime.js'

/**
 * The SHA-256 of a UTF-8 string, base64url-encoded (DPoP `ath`, RFC 7638 thumbprints, one-time
 * keys). Synchronous through `node:crypto` where the runtime lends it: `subtle.digest` is a
 * thread-pool job and a promise, which on a request path costs several times the hash itself.
 * Elsewhere (edge runtimes, Workers), a promise from Web Crypto.
 */
export function sha256Base64url(value: string): string | Promise<string> {
  const runtime = nodeRuntime()
  if (runtime !== null) return runtime.crypto.createHash('sha256').update(value, 'utf8').digest('base64url')
  return crypto.subtle
    .digest('SHA-256', new TextEncoder().encode(value))
    .then((digest) => base64url.encode(new Uint8Array(digest)))
}
