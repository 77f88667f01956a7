/** The parts of a Node `IncomingMessage` this module reads; structural, so no `node:` import is needed. */
export interface NodeLikeRequest {
  headers: Record<string, string | string[] | undefined>
  rawHeaders?: readonly string[]
}

/**
 * The `Authorization` header of a Node request, for {@link extractBearerToken}. Node keeps only
 * the first of repeated `Authorization` headers; this reports all of them so that a request
 * carrying two is refused as ambiguous rather than judged on whichever came first.
 */
export function authorizationOf(request: NodeLikeRequest): string | string[] | undefined {
  const value = request.headers.authorization
  const raw = request.rawHeaders
  if (value === undefined || raw === undefined) return value
  let values: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      if (values === undefined) values = []
      values.push(raw[i + 1] as string)
    }
  }
  return values !== undefined && values.length > 1 ? values : value
}

/**
 * The `Authorization` header from a Node request's `rawHeaders` alone: the value, every value
 * when repeated (so the caller refuses the request as ambiguous), or `undefined`. Unlike
 * {@link authorizationOf} it never touches `request.headers`, which Node builds lazily from every
 * raw header on first access (about a microsecond a request). Only for a request nothing before
 * has rewritten, such as the one `@hono/node-server` hands a Hono app in `c.env.incoming`.
 */
export function authorizationFromRawHeaders(raw: readonly string[]): string | string[] | undefined {
  let first: string | undefined
  let values: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue
    const value = raw[i + 1] as string
    if (first === undefined) {
      first = value
    } else {
      values ??= [first]
      values.push(value)
    }
  }
  return values ?? first
}
