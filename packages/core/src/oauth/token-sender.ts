/**
 * Sending an access token to an API: `Authorization: Bearer`, or for a DPoP-bound token
 * `Authorization: DPoP` with a fresh proof (`ath`, the API's latest nonce), a `use_dpop_nonce`
 * challenge with a new nonce being answered by one more attempt (RFC 9449 §9), never a loop.
 * Shared by `createAuthorizedFetch` (client-credentials tokens) and the web login's session fetch.
 */
import { proofFor } from '../dpop/client-dpop.js'
import type { DPoPKey } from '../dpop/dpop-key.js'
import { type DpopNonces, isUseDpopNonce } from '../dpop/nonces.js'

/** An access token and, for a DPoP-bound one, the key its proofs are signed with. */
export interface SendableToken {
  value: string
  dpop: DPoPKey | undefined
}

export function isRequest(input: unknown): input is Request {
  return Object.prototype.toString.call(input) === '[object Request]'
}

/**
 * Whether a body can be sent a second time: absent, or a value fetch re-reads from the start.
 * A stream (or an async iterable) is consumed by the first attempt.
 */
export function isReplayable(input: string | URL | Request, init: RequestInit | undefined): boolean {
  const body = init?.body
  if (body === undefined) {
    // A Request's own body is a stream, consumed by the first send; a GET has none.
    return !(isRequest(input) && input.body !== null)
  }
  return (
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof URLSearchParams ||
    body instanceof Blob ||
    body instanceof FormData
  )
}

async function sendOnce(
  fetchImpl: typeof fetch,
  nonces: DpopNonces,
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: SendableToken,
): Promise<Response> {
  const request = new Request(input, init)
  if (token.dpop === undefined) {
    request.headers.set('authorization', `Bearer ${token.value}`)
  } else {
    request.headers.set('authorization', `DPoP ${token.value}`)
    request.headers.set('dpop', await proofFor(token.dpop, nonces, request.method, request.url, token.value))
  }
  const response = await fetchImpl(request)
  if (token.dpop !== undefined) nonces.remember(request.url, response.headers)
  return response
}

/**
 * Sends the request with the token; when a DPoP API answers `use_dpop_nonce` with a nonce other
 * than the one just sent, and the body can be sent again, sends once more with it. The first
 * answer's body is then released.
 */
export async function sendWithToken(
  fetchImpl: typeof fetch,
  nonces: DpopNonces,
  input: string | URL | Request,
  init: RequestInit | undefined,
  token: SendableToken,
  replayable: boolean,
): Promise<Response> {
  const url = isRequest(input) ? input.url : String(input)
  const sent = token.dpop === undefined ? undefined : nonces.get(url)
  const response = await sendOnce(fetchImpl, nonces, input, init, token)
  const latest = token.dpop === undefined ? undefined : nonces.get(url)
  if (
    !replayable ||
    latest === undefined ||
    latest === sent ||
    !isUseDpopNonce(response.status, response.headers)
  ) {
    return response
  }
  await response.body?.cancel().catch(() => undefined)
  return sendOnce(fetchImpl, nonces, input, init, token)
}
