import type { AuthError } from '../errors.js'
import { buildWwwAuthenticate, type ErrorChallenge } from './challenge.js'

export interface ErrorResponseOptions {
  /**
   * `realm` attribute of the `WWW-Authenticate` challenge (RFC 6750 §3).
   * Default: none (the attribute is omitted).
   */
  realm?: string
  /**
   * URL of the API's protected resource metadata (RFC 9728 §5.1): every challenge names it in
   * `resource_metadata`, so a client that was refused learns where to get a token. Pass
   * `protectedResource(...).metadataUrl`. Default: none.
   */
  resourceMetadata?: string
}

/** What an adapter sends for an {@link AuthError}: framework-neutral, ready to copy into a response. */
export interface ErrorResponseParts {
  status: number
  headers: Record<string, string>
  body: { error: string; error_description: string }
}

// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E (no `"` or `\`).
const UNSAFE_ATTRIBUTE_CHARS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

/**
 * An `error_description` as RFC 6749 §5.2 / RFC 6750 §3 allow it, in the challenge and the JSON
 * body alike: double quotes become single ones (messages quote option and claim names), other
 * characters outside the allowed set are dropped.
 */
function description(message: string): string {
  return message.replace(/"/g, "'").replace(UNSAFE_ATTRIBUTE_CHARS, '')
}

/**
 * The challenge of an error: its scheme(s) from `authChallenge` (DPoP), else plain `Bearer`, with
 * the RFC 9728 `resource_metadata` and the RFC 9470 step-up attributes it carries.
 */
function challenge(error: AuthError, options: ErrorResponseOptions): string {
  // Duck-typed rather than `instanceof`: the error may come from another installed copy.
  const { requiredScopes, authChallenge, acrValues, maxAge } = error as {
    requiredScopes?: readonly string[]
    authChallenge?: ErrorChallenge
    acrValues?: readonly string[]
    maxAge?: number
  }
  return buildWwwAuthenticate({
    schemes: authChallenge?.schemes,
    errorScheme: authChallenge?.errorScheme,
    dpopAlgs: authChallenge?.dpopAlgs,
    realm: options.realm,
    resourceMetadata: options.resourceMetadata,
    error: error.oauthError,
    errorDescription: error.oauthError === undefined ? undefined : description(error.message),
    scope: requiredScopes,
    acrValues,
    maxAge,
  })
}

/** `Retry-After` of a 503 whose error names no time of its own (a session store that is down). */
const RETRY_AFTER_SECONDS = 5
const KEY_ERRORS = new Set(['ERR_JWKS_UNAVAILABLE', 'ERR_DISCOVERY_FAILED'])

/**
 * The `Retry-After` seconds of an error: its own when it names them, else a default for every
 * 503 (a store or key endpoint that is down usually is for seconds); `undefined` otherwise.
 */
export function retryAfterOf(error: AuthError): number | undefined {
  const { retryAfter } = error as { retryAfter?: number }
  if (retryAfter !== undefined) return retryAfter
  return error.status === 503 ? RETRY_AFTER_SECONDS : undefined
}

/**
 * Maps an {@link AuthError} to the HTTP answer RFC 6750 §3 asks for: 400 `invalid_request`,
 * 401 `invalid_token` (or a bare challenge when no token was sent), 403 `insufficient_scope`,
 * 503 with `Retry-After` when no verification key can be had. Errors of status 500 (a
 * misconfiguration) answer a generic `server_error`: their message is for logs, not clients.
 */
export function describeAuthError(error: AuthError, options: ErrorResponseOptions = {}): ErrorResponseParts {
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  if (error.status === 401 || error.status === 400 || error.status === 403) {
    headers['www-authenticate'] = challenge(error, options)
    // RFC 9449 §8: the nonce a `use_dpop_nonce` refusal asks the client to use.
    const nonce = (error as { authChallenge?: ErrorChallenge }).authChallenge?.dpopNonce
    if (nonce !== undefined) headers['dpop-nonce'] = nonce
  }
  const unavailable = error.status === 503
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  if (error.status >= 500) {
    return {
      status: error.status,
      headers,
      body: {
        error: unavailable ? 'temporarily_unavailable' : 'server_error',
        error_description: unavailable
          ? KEY_ERRORS.has(error.code)
            ? 'Verification keys are temporarily unavailable'
            : 'The service is temporarily unavailable'
          : 'Internal server error',
      },
    }
  }
  return {
    status: error.status,
    headers,
    body: { error: error.oauthError ?? 'unauthorized', error_description: description(error.message) },
  }
}

/** {@link describeAuthError} as a Web `Response`, for fetch-native frameworks (Hono, Next.js). */
export function authErrorResponse(error: AuthError, options?: ErrorResponseOptions): Response {
  const parts = describeAuthError(error, options)
  return new Response(JSON.stringify(parts.body), {
    status: parts.status,
    headers: { ...parts.headers, 'content-type': 'application/json' },
  })
}

/**
 * {@link authErrorResponse} for an error whose answer never varies (no token at all), computed
 * once: each call only allocates the `Response`. A flood of unauthenticated requests is the
 * common case of a protected endpoint, and describing the same error each time is measurable.
 */
export function prebuiltErrorResponse(error: AuthError, options?: ErrorResponseOptions): () => Response {
  const parts = describeAuthError(error, options)
  const body = JSON.stringify(parts.body)
  const headers = { ...parts.headers, 'content-type': 'application/json' }
  // A fresh headers object per response: some servers add Content-Length to the one they are given.
  return () => new Response(body, { status: parts.status, headers: { ...headers } })
}
