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
