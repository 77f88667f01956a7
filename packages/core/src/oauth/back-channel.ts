import { proofFor } from '../dpop/client-dpop.js'
import type { DPoPKey } from '../dpop/dpop-key.js'
import { DpopNonces, isUseDpopNonce } from '../dpop/nonces.js'
import { MfaRequiredError, OAuthExchangeError, RemoteResponseError } from '../errors.js'
import type { AuthorizationServerMetadata } from '../keys/discovery.js'
import { fetchJson, type HttpOptions } from '../lib/fetch-json.js'
import type { ClientAuthentication } from './client-auth.js'

/** What every back-channel call of one client shares; built once by `OAuthClient`. */
export interface ClientContext {
  readonly metadata: AuthorizationServerMetadata
  readonly clientId: string
  readonly auth: ClientAuthentication
  readonly http: HttpOptions
  /** Token requests as `application/x-www-form-urlencoded` (RFC 6749) or JSON (some servers). */
  readonly requestFormat: 'form' | 'json'
  /** The client's DPoP key, when it uses DPoP (`dpop` option). */
  readonly dpopKey?: (() => Promise<DPoPKey>) | undefined
  /**
   * The latest `DPoP-Nonce` of each server origin (kept even without a client key: per-session
   * keys). Required for calls with `dpop`.
   */
  readonly dpopNonces?: DpopNonces
}

export interface EndpointCall {
  /** The endpoint's URL. */
  url: string
  /** Names the endpoint in error messages ("The token endpoint"); never the URL. */
  what: string
  /** Parameters; `undefined` values are left out. */
  params?: Record<string, string | readonly string[] | undefined>
  /** Authenticate the client (default true). */
  authenticate?: boolean
  /**
   * Send this access token instead of client authentication (userinfo, MFA authenticators):
   * `Authorization: Bearer`, or `Authorization: DPoP` with a proof carrying its `ath` when `dpop` is set.
   */
  bearer?: string
  /**
   * Sign a DPoP proof for this request with this key (RFC 9449), with the origin's latest nonce;
   * a `use_dpop_nonce` answer carrying a new nonce is retried once. Default: no proof.
   */
  dpop?: DPoPKey
  method?: 'GET' | 'POST'
  /** Statuses that carry a successful answer. Default: [200]. */
  okStatus?: readonly number[]
  /** Overrides the client's request format (PAR, revocation and introspection are always forms). */
  format?: 'form' | 'json'
  /** An empty successful body is acceptable (revocation answers 200 with nothing). */
  emptyOk?: boolean
}

// Token responses carry JWTs, sometimes large ones, but nothing legitimate comes near this.
const MAX_RESPONSE_BYTES = 256 * 1024

/** Form encoding with a repeated key for each value of a list (RFC 8707 `resource`). */
export function formBody(params: Record<string, string | readonly string[]>): string {
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string') form.append(name, value)
    else for (const item of value) form.append(name, item)
  }
  return form.toString()
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Calls an authorization server endpoint with client authentication and turns the answer into
 * data or a typed error: a JSON object on a success status; {@link OAuthExchangeError} (or
 * {@link MfaRequiredError}) for an RFC 6749 §5.2 error body on a 4xx; {@link RemoteResponseError}
 * for anything else (HTML, 5xx, a redirect, a JSON array, a huge or slow answer). Raw bodies are
 * never kept in errors.
 */
export async function callEndpoint(ctx: ClientContext, call: EndpointCall): Promise<Record<string, unknown>> {
  const json = await callEndpointJson(ctx, call)
  if (isObject(json)) return json
  if (json === undefined && call.emptyOk) return {}
  throw new RemoteResponseError(
    'ERR_OAUTH_RESPONSE_INVALID',
    `${call.what} answered JSON that is not an object`,
  )
}

/**
 * {@link callEndpoint} without the object check: any JSON value on a success status (`undefined`
 * for an accepted empty body), for the rare endpoint that answers an array (Auth0's
 * `GET /mfa/authenticators`). Errors are the same.
 */
export async function callEndpointJson(ctx: ClientContext, call: EndpointCall): Promise<unknown> {
  if (call.dpop !== undefined && ctx.dpopNonces === undefined) {
    ctx = { ...ctx, dpopNonces: new DpopNonces(1) }
  }
  const first = await attempt(ctx, call)
  // RFC 9449 §8 and §9: the server wants a (newer) nonce in the proof. Once only: a server that
  // keeps asking is answered with its error, never looped on.
  const sent = first.nonce
  const retry =
    call.dpop !== undefined &&
    first.response !== undefined &&
    isUseDpopNonce(first.response.status, first.response.headers, first.json) &&
    ctx.dpopNonces?.get(call.url) !== undefined &&
    ctx.dpopNonces.get(call.url) !== sent
  return settle(call, retry ? await attempt(ctx, call) : first)
}

interface Attempt {
  /** The nonce the proof carried. */
  nonce: string | undefined
  /** The answer, when one came (also when reading it failed). */
  response: Response | undefined
  json?: unknown
  error?: unknown
}

/** One request: client authentication (or the access token) and the DPoP proof made afresh. */
async function attempt(ctx: ClientContext, call: EndpointCall): Promise<Attempt> {
  const params: Record<string, string | readonly string[]> = {}
  for (const [name, value] of Object.entries(call.params ?? {})) if (value !== undefined) params[name] = value
  const headers: Record<string, string> = {}
  if (call.bearer !== undefined) {
    headers['authorization'] = `${call.dpop === undefined ? 'Bearer' : 'DPoP'} ${call.bearer}`
  } else if (call.authenticate !== false) {
    // Per attempt: a private_key_jwt assertion is single-use too.
    await ctx.auth.apply({ clientId: ctx.clientId, issuer: ctx.metadata.issuer, params, headers })
  }
  const method = call.method ?? 'POST'
  let url = call.url
  let body: string | undefined
  if (method === 'GET') {
    const query = formBody(params)
    if (query) url = `${url}${url.includes('?') ? '&' : '?'}${query}`
  } else if ((call.format ?? ctx.requestFormat) === 'json') {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(params)
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = formBody(params)
  }
  const nonces = call.dpop === undefined ? undefined : (ctx.dpopNonces as DpopNonces)
  const nonce = nonces?.get(call.url)
  if (call.dpop !== undefined && nonces !== undefined) {
    headers['dpop'] = await proofFor(call.dpop, nonces, method, call.url, call.bearer)
  }
  // The answer is seen before fetchJson judges it: a nonce challenge may come without a JSON body
  // (a resource server's 401), and every answer's DPoP-Nonce is the one to use next.
  let response: Response | undefined
  const base = ctx.http.fetch ?? globalThis.fetch
  const observing: typeof fetch = async (input, init) => {
    response = await base(input, init)
    nonces?.remember(call.url, response.headers)
    return response
  }
  const http = {
    ...ctx.http,
    fetch: observing,
    maxResponseBytes: ctx.http.maxResponseBytes ?? MAX_RESPONSE_BYTES,
  }
  const ok = call.okStatus ?? [200]
  const accept = (status: number) => ok.includes(status) || (status >= 400 && status < 500)
  const request = {
    method,
    headers,
    allowEmpty: call.emptyOk === true,
    ...(body === undefined ? {} : { body }),
  }
  try {
    const { json } = await fetchJson(url, call.what, http, request, accept)
    return { nonce, response, json }
  } catch (error) {
    return { nonce, response, error }
  }
}

/** The attempt's answer as data, or its typed error. */
function settle(call: EndpointCall, { response, json, error }: Attempt): unknown {
  if (error !== undefined || response === undefined) throw error
  const ok = call.okStatus ?? [200]
  if (ok.includes(response.status)) return json
  if (isObject(json) && typeof json['error'] === 'string') {
    const description = typeof json['error_description'] === 'string' ? json['error_description'] : undefined
    if (json['error'] === 'mfa_required' && typeof json['mfa_token'] === 'string') {
      throw new MfaRequiredError(json['mfa_token'], description)
    }
    throw new OAuthExchangeError(json['error'], description)
  }
  throw new RemoteResponseError('ERR_HTTP_STATUS', `${call.what} answered HTTP ${response.status}`)
}

/** The URL of a metadata endpoint, or a clear error when the server does not advertise it. */
export function endpointOf(ctx: ClientContext, field: keyof AuthorizationServerMetadata & string): string {
  const value = ctx.metadata[field]
  if (typeof value !== 'string' || value.length === 0) {
    throw new RemoteResponseError('ERR_ENDPOINT_UNSUPPORTED', `The authorization server has no "${field}"`)
  }
  return value
}
