/**
 * What the session functions of `createAuth` read of a request: its URL, its method and a few
 * headers. A Fetch `Request` fits; so does the lighter object the Node bridge builds for a
 * session check (`sessionRequestBuilder`), which reads Node's headers in place instead of copying
 * and validating all of them into a `Request` on every request of a session-protected route.
 */
export interface RequestLike {
  readonly url: string
  readonly method: string
  readonly headers: { get(name: string): string | null }
}

/** The headers the session functions read (and all a `Request` made from a `RequestLike` carries). */
export const SESSION_HEADERS: readonly string[] = [
  'cookie',
  'accept',
  'origin',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'user-agent',
]

/**
 * A Fetch `Request` for what expects one (an `onError` hook): the request itself when it is one,
 * else a body-less copy with the session headers. Only on error paths: building it is the cost the
 * lighter object avoids.
 */
export function asRequest(request: RequestLike): Request {
  if (request instanceof Request) return request
  const headers = new Headers()
  for (const name of SESSION_HEADERS) {
    const value = request.headers.get(name)
    if (value !== null) headers.set(name, value)
  }
  return new Request(request.url, { method: request.method, headers })
}
