import type { DPoPKey } from '../dpop/dpop-key.js'
import { AuthorizationResponseError, ConfigurationError, isOAuthErrorValue } from '../errors.js'
import { readCapped } from '../lib/read-capped.js'
import type { AuthorizationContext, ExpectedAuthorization } from './authorization-code.js'
import { timingSafeEqual } from './pkce.js'
import { dpopKeyFor, requestTokens } from './token-request.js'
import type { TokenSet } from './token-set.js'

/** The parts of a Web `Request` the callback reads; any framework's request of that shape works. */
interface RequestLike {
  readonly url: string
  readonly method: string
  readonly headers: { get(name: string): string | null }
  readonly body?: ReadableStream<Uint8Array> | null
  text(): Promise<string>
}

/** Per-call options of `handleCallback`. */
export interface CallbackOptions {
  /**
   * The DPoP key of this login (the one given to `authorizationUrl`), when it is not the client's
   * own `dpop` key. Default: the client's key, if any.
   */
  dpopKey?: DPoPKey
}

/** Parameters of an authorization response (RFC 6749 §4.1.2, RFC 9207) that must appear at most once. */
const SINGLE_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'] as const
// A form_post body holds a code, a state and an iss: anything near this size is not one.
const MAX_FORM_BYTES = 64 * 1024

function fail(code: string, message: string, error?: string, description?: string) {
  return new AuthorizationResponseError(code, message, error, description)
}

function isRequestLike(input: unknown): input is RequestLike {
  if (typeof input !== 'object' || input === null) return false
  // Not `instanceof Request`: frameworks and other realms (undici, Bun, workers) have their own class.
  if ((input as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Request') return true
  const candidate = input as { url?: unknown; method?: unknown }
  return typeof candidate.url === 'string' && typeof candidate.method === 'string'
}

function parseUrl(value: string): URL {
  try {
    return new URL(value)
  } catch {
    throw fail('ERR_CALLBACK_INVALID', 'The callback URL is not a valid URL')
  }
}

/**
 * The response parameters: the query of a redirect (`response_mode=query`), or the body of a
 * form POST (`response_mode=form_post`), never both: with form_post the query is not the server's.
 */
async function responseParams(input: URL | string | RequestLike): Promise<URLSearchParams> {
  if (typeof input === 'string') return parseUrl(input).searchParams
  if (!isRequestLike(input)) return parseUrl(String(input.href)).searchParams
  const method = input.method.toUpperCase()
  if (method === 'GET') return parseUrl(input.url).searchParams
  if (method !== 'POST') throw fail('ERR_CALLBACK_INVALID', `The callback cannot be a ${method} request`)
  const type = (input.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw fail('ERR_CALLBACK_INVALID', 'A POST callback must be an application/x-www-form-urlencoded form')
  }
  const tooLarge = () => fail('ERR_CALLBACK_INVALID', 'The callback form body is too large')
  if (input.body === undefined || input.body === null) {
    // A request without a readable stream (a polyfill): its text, checked after the fact.
    const text = await input.text()
    if (text.length > MAX_FORM_BYTES) throw tooLarge()
    return new URLSearchParams(text)
  }
  return new URLSearchParams(new TextDecoder().decode(await readCapped(input, MAX_FORM_BYTES, tooLarge)))
}

function checkExpected(ctx: AuthorizationContext, expected: ExpectedAuthorization): void {
  if (typeof expected !== 'object' || expected === null) {
    throw new ConfigurationError('The values kept from authorizationUrl() are required')
  }
  // CVE-2023-27490: a flow whose kept state was lost must fail, not skip the check.
  if (typeof expected.state !== 'string' || expected.state.length === 0) {
    throw new ConfigurationError('The expected "state" is required (keep it from authorizationUrl())')
  }
  if (typeof expected.redirectUri !== 'string' || expected.redirectUri.length === 0) {
    throw new ConfigurationError('The expected "redirectUri" is required (keep it from authorizationUrl())')
  }
  for (const name of ['nonce', 'codeVerifier'] as const) {
    const value = expected[name]
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new ConfigurationError(`The expected "${name}" must be a non-empty string when set`)
    }
  }
  if (expected.codeVerifier === undefined && ctx.auth.method === 'none') {
    throw new ConfigurationError('A public client needs the PKCE "codeVerifier" kept from authorizationUrl()')
  }
  const { maxAge } = expected
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0)) {
    throw new ConfigurationError('The expected "maxAge" must be a non-negative integer')
  }
}

/**
 * Validates an authorization response before the code is used, then exchanges it. The order is
 * the one that lets nothing forged through: no repeated parameter, `iss` (RFC 9207, against
 * mix-up), `state` (CSRF; timing-safe), then `error` versus `code`. Expected values come from the
 * caller only, never from the callback.
 */
export async function handleAuthorizationCallback(
  ctx: AuthorizationContext,
  input: URL | string | Request,
  expected: ExpectedAuthorization,
  options: CallbackOptions = {},
): Promise<TokenSet> {
  checkExpected(ctx, expected)
  const dpopKey = await dpopKeyFor(ctx, options.dpopKey)
  // The code is bound to the key whose thumbprint the request named (RFC 9449 §10): say so here
  // rather than let the server answer a bare invalid_grant.
  if (expected.dpopJkt !== undefined && dpopKey?.thumbprint !== expected.dpopJkt) {
    throw new ConfigurationError(
      'The authorization request was bound to another DPoP key ("dpopJkt"): pass that key',
      { code: 'ERR_DPOP_KEY_MISMATCH' },
    )
  }
  const params = await responseParams(input)
  // RFC 6749 §3.1: parameters must not repeat; with two values there is no telling which is meant.
  for (const name of SINGLE_PARAMS) {
    if (params.getAll(name).length > 1) {
      throw fail('ERR_CALLBACK_INVALID', `The authorization response repeats "${name}"`)
    }
  }

  const iss = params.get('iss')
  if (iss === null && ctx.metadata.authorization_response_iss_parameter_supported === true) {
    throw fail(
      'ERR_ISSUER_MISSING',
      'The authorization response has no "iss" though the server advertises it',
    )
  }
  if (iss !== null && iss !== ctx.metadata.issuer) {
    throw fail('ERR_ISSUER_MISMATCH', 'The authorization response comes from another issuer')
  }

  const state = params.get('state')
  if (state === null || state.length === 0) {
    throw fail('ERR_STATE_MISSING', 'The authorization response has no "state"')
  }
  if (!timingSafeEqual(state, expected.state)) {
    throw fail('ERR_STATE_MISMATCH', 'The authorization response "state" does not match the request')
  }

  const code = params.get('code')
  const error = params.get('error')
  if (error !== null && code !== null) {
    throw fail('ERR_CALLBACK_AMBIGUOUS', 'The authorization response has both "code" and "error"')
  }
  if (error !== null) {
    const named = isOAuthErrorValue(error) ? ` with "${error}"` : ''
    throw fail(
      'ERR_AUTHORIZATION_DENIED',
      `The authorization server refused the request${named}`,
      error,
      params.get('error_description') ?? undefined,
    )
  }
  if (code === null || code.length === 0) {
    throw fail('ERR_CODE_MISSING', 'The authorization response has no "code"')
  }

  return requestTokens(
    ctx,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: expected.redirectUri,
      code_verifier: expected.codeVerifier,
    },
    { requireIdToken: expected.nonce !== undefined, nonce: expected.nonce, maxAge: expected.maxAge, code },
    dpopKey,
  )
}
