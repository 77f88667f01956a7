/**
 * Answers of the token server: RFC 6749 §5.1 and §5.2 JSON bodies, never cached. Error
 * descriptions are fixed strings written here: nothing from the request (least of all a secret)
 * is ever echoed.
 */

/**
 * RFC 6749 §5.2 and RFC 8707 §2 error codes the token endpoint returns; `temporarily_unavailable`
 * (503) when a store introspection or revocation needs is down.
 */
export type TokenErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable'

/** A refusal on its way out: thrown inside the handler, turned into a response at its edge. */
export class TokenRequestError extends Error {
  constructor(
    readonly error: TokenErrorCode,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description)
    this.name = 'TokenRequestError'
  }
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/**
 * An answer before it meets a transport: the Web handler makes it a `Response`, the Node listener
 * writes it with `res.end`. `body` is JSON text, or null for an empty body.
 */
export interface TokenServerAnswer {
  status: number
  headers: Record<string, string>
  body: string | null
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): TokenServerAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...NO_STORE, ...headers },
    body: JSON.stringify(body),
  }
}

/** A 200 with no body and no caching (RFC 7009 §2.2's answer). */
export function emptyOk(): TokenServerAnswer {
  return { status: 200, headers: { ...NO_STORE }, body: null }
}

export function errorResponse(error: TokenRequestError): TokenServerAnswer {
  return json({ error: error.error, error_description: error.description }, error.status, error.headers)
}

/** A JSON document that may be cached briefly (the JWKS, the metadata). */
export function cacheable(body: unknown, maxAgeSeconds: number): TokenServerAnswer {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': `public, max-age=${maxAgeSeconds}` },
    body: JSON.stringify(body),
  }
}
