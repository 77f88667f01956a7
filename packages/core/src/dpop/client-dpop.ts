/**
 * What an `OAuthClient` keeps for DPoP: its key (given, or generated once on first use for
 * `dpop: true`) and the nonces its servers sent. The proof for one back-channel request is made
 * here, right before the request leaves, so each attempt (and its retry) gets a fresh `jti`.
 */
import { ConfigurationError } from '../errors.js'
import { createDpopKey, type DPoPKey, isDpopKey } from './dpop-key.js'
import type { DpopNonces } from './nonces.js'
import { createDpopProof } from './proof-sign.js'

/** The `dpop` client option: a key, or `true` for a key generated for this client. */
export type DpopOption = DPoPKey | true

/** The client's DPoP key source: `undefined` when the client does not use DPoP. */
export type DpopKeySource = (() => Promise<DPoPKey>) | undefined

/** Checks the `dpop` option and returns the key source (generation is single-flight, retried after a failure). */
export function dpopKeySource(option: unknown): DpopKeySource {
  if (option === undefined || option === false) return undefined
  if (option === true) {
    let pending: Promise<DPoPKey> | undefined
    return () => {
      pending ??= createDpopKey().catch((error: unknown) => {
        pending = undefined
        throw error
      })
      return pending
    }
  }
  if (!isDpopKey(option)) {
    throw new ConfigurationError('"dpop" must be a DPoPKey (createDpopKey()) or true')
  }
  const key = Promise.resolve(option)
  return () => key
}

/** The `DPoP` header of one request: a proof with the origin's latest nonce. */
export function proofFor(
  key: DPoPKey,
  nonces: DpopNonces,
  method: string,
  url: string,
  accessToken?: string,
): Promise<string> {
  const nonce = nonces.get(url)
  return createDpopProof(key, {
    method,
    url,
    ...(accessToken === undefined ? {} : { accessToken }),
    ...(nonce === undefined ? {} : { nonce }),
  })
}
