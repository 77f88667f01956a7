/**
 * Node-only helpers, kept out of the default entry so that it stays free of `node:` imports and
 * runs on edge runtimes, Bun, Deno and Workers.
 */
import { readFileSync } from 'node:fs'
import { InvalidPublicKeyError } from './errors.js'
import { type PublicKeyInput, parsePublicKey } from './keys/public-key.js'

/**
 * Reads a public key (PEM `PUBLIC KEY` / `CERTIFICATE`, or a JWK as JSON) from a file,
 * synchronously and at start-up, and checks it, so a wrong path or a bad key fails before the
 * first request. The result can be passed as `publicKey` to `createTokenVerifier`.
 */
export function publicKeyFromFile(path: string): PublicKeyInput {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new InvalidPublicKeyError(`The public key file cannot be read (${reason})`, { cause })
  }
  parsePublicKey(text)
  return text
}

export { type NodeBearerRequestOptions, nodeBearerRequests } from './node/bearer-request.js'
export {
  BodyConsumedError,
  InvalidRequestError,
  RequestAbortedError,
  RequestTooLargeError,
  ResponseAlreadySentError,
  type SendWebResponseOptions,
  sendWebResponse,
  sessionRequestBuilder,
  type ToWebRequestOptions,
  toWebRequest,
} from './node/bridge.js'
export {
  type NodeHandlerOptions,
  type NodeMiddleware,
  nodeHandler,
  type WebHandler,
} from './node/node-handler.js'
