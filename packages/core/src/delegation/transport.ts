import { RemoteResponseError } from '../errors.js'
import { readCapped } from '../lib/read-capped.js'
import { DELEGATION_CONTENT_TYPE, MAX_MESSAGE_BYTES } from './protocol.js'

/** Network options of the delegation client. */
export interface DelegationHttpOptions {
  /** `fetch` implementation (a proxy-aware agent, a test double). Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Milliseconds before a call (headers and body) is abandoned. Default: 10000. */
  timeout?: number
  /** Cancels every call of this client, e.g. on shutdown. Each call also takes its own `signal`. */
  signal?: AbortSignal
  /** Extra request headers, such as a `user-agent`. */
  headers?: Record<string, string>
}

/** An answer as received: nothing in it is trusted yet. */
export interface RawAnswer {
  status: number
  contentType: string
  body: string
}

const WHAT = 'The identity provider'

function fail(code: string, message: string, cause?: unknown): RemoteResponseError {
  return new RemoteResponseError(code, message, cause === undefined ? undefined : { cause })
}

/**
 * POSTs one sealed message and reads the answer whatever its status: a timeout covering headers
 * and body, redirects never followed, the body capped while it streams. Network failures are
 * {@link RemoteResponseError}s (`ERR_HTTP_TIMEOUT`, `ERR_HTTP_ABORTED`, `ERR_HTTP_NETWORK`,
 * `ERR_HTTP_TOO_LARGE`, `ERR_HTTP_STATUS` for a redirect); URLs and bodies never appear in them.
 */
export async function postMessage(
  url: string,
  body: string,
  http: DelegationHttpOptions,
  callSignal: AbortSignal | undefined,
): Promise<RawAnswer> {
  const fetchImpl = http.fetch ?? globalThis.fetch
  const timeoutSignal = AbortSignal.timeout(http.timeout ?? 10_000)
  const signals = [timeoutSignal, http.signal, callSignal].filter((s): s is AbortSignal => s !== undefined)
  const signal = AbortSignal.any(signals)
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: {
        ...http.headers,
        accept: DELEGATION_CONTENT_TYPE,
        'content-type': DELEGATION_CONTENT_TYPE,
      },
      body,
      redirect: 'manual',
      signal,
    })
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => {})
      throw fail(
        'ERR_HTTP_STATUS',
        `${WHAT} answered a redirect (HTTP ${response.status}), which is never followed`,
      )
    }
    const bytes = await readCapped(response, MAX_MESSAGE_BYTES, () =>
      fail('ERR_HTTP_TOO_LARGE', `${WHAT} answered more than ${MAX_MESSAGE_BYTES} bytes`),
    )
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: new TextDecoder().decode(bytes),
    }
  } catch (error) {
    if (error instanceof RemoteResponseError) throw error
    if (timeoutSignal.aborted) throw fail('ERR_HTTP_TIMEOUT', `${WHAT} did not answer in time`, error)
    if (http.signal?.aborted || callSignal?.aborted) {
      throw fail('ERR_HTTP_ABORTED', `The request to ${WHAT} was aborted`, error)
    }
    throw fail('ERR_HTTP_NETWORK', `${WHAT} could not be reached`, error)
  }
}

/** True for a failure after which the same read may succeed: the network, a timeout, an overloaded IdP. */
export function isTransient(error: unknown): boolean {
  if (error instanceof RemoteResponseError)
    return error.code === 'ERR_HTTP_NETWORK' || error.code === 'ERR_HTTP_TIMEOUT'
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ERR_DELEGATION_SERVER_ERROR' || code === 'ERR_DELEGATION_UNAVAILABLE'
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(fail('ERR_HTTP_ABORTED', `The request to ${WHAT} was aborted`))
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(fail('ERR_HTTP_ABORTED', `The request to ${WHAT} was aborted`))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
