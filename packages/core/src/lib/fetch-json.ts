import { RemoteResponseError } from '../errors.js'
import { readCapped } from './read-capped.js'

/** Network options shared by everything in the core that calls an HTTP endpoint. */
export interface HttpOptions {
  /** `fetch` implementation (a mock, a proxy-aware agent). Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Milliseconds before a request (headers and body) is abandoned. Default: 5000. */
  timeout?: number
  /** Cancels in-flight requests, e.g. on shutdown. */
  signal?: AbortSignal
  /** Largest response body accepted, in bytes. Default depends on the endpoint. */
  maxResponseBytes?: number
  /** Extra request headers, such as a `user-agent`. */
  headers?: Record<string, string>
}

export interface JsonRequest {
  method?: 'GET' | 'POST'
  body?: string | URLSearchParams
  headers?: Record<string, string>
  /** An empty body (of any content type) is a valid answer: `json` is then `undefined`. */
  allowEmpty?: boolean
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

function fail(code: string, message: string, cause?: unknown): RemoteResponseError {
  return new RemoteResponseError(code, message, cause === undefined ? undefined : { cause })
}

/**
 * Fetches a JSON document defensively: a timeout covering headers and body, redirects never
 * followed (a 3xx is an error), a JSON content type required, the body size capped while it
 * streams, and each failure a {@link RemoteResponseError} with a stable code. `what` names the
 * endpoint in messages ("The JWKS endpoint"); URLs and bodies never appear in them.
 *
 * Returns the parsed JSON and the response (for status-dependent callers such as token endpoints).
 */
export async function fetchJson(
  url: string,
  what: string,
  options: HttpOptions & { maxResponseBytes: number },
  request: JsonRequest = {},
  acceptStatus: (status: number) => boolean = (status) => status === 200,
): Promise<{ json: unknown; response: Response }> {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const timeoutSignal = AbortSignal.timeout(options.timeout ?? 5000)
  const signal = options.signal ? AbortSignal.any([timeoutSignal, options.signal]) : timeoutSignal
  let response: Response
  let bytes: Uint8Array
  try {
    response = await fetchImpl(url, {
      method: request.method ?? 'GET',
      headers: { accept: 'application/json', ...options.headers, ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    })
    if (!acceptStatus(response.status)) {
      await response.body?.cancel().catch(() => {})
      throw fail('ERR_HTTP_STATUS', `${what} answered HTTP ${response.status}`)
    }
    const type = response.headers.get('content-type') ?? ''
    if (request.allowEmpty && !JSON_TYPE.test(type)) {
      // RFC 7009 §2.2: a revocation endpoint answers 200 with no body at all.
      const empty = await readCapped(response, 0, () => new Error('not empty')).then(
        () => true,
        () => false,
      )
      if (empty) return { json: undefined, response }
      throw fail('ERR_HTTP_CONTENT_TYPE', `${what} did not answer JSON`)
    }
    if (!JSON_TYPE.test(type)) {
      await response.body?.cancel().catch(() => {})
      throw fail('ERR_HTTP_CONTENT_TYPE', `${what} did not answer JSON`)
    }
    bytes = await readCapped(response, options.maxResponseBytes, () =>
      fail('ERR_HTTP_TOO_LARGE', `${what} answered more than ${options.maxResponseBytes} bytes`),
    )
  } catch (error) {
    if (error instanceof RemoteResponseError) throw error
    if (timeoutSignal.aborted) throw fail('ERR_HTTP_TIMEOUT', `${what} did not answer in time`, error)
    if (options.signal?.aborted) throw fail('ERR_HTTP_ABORTED', `The request to ${what} was aborted`, error)
    throw fail('ERR_HTTP_NETWORK', `${what} could not be reached`, error)
  }
  try {
    return { json: JSON.parse(new TextDecoder().decode(bytes)), response }
  } catch (cause) {
    throw fail('ERR_HTTP_INVALID_JSON', `${what} answered malformed JSON`, cause)
  }
}
