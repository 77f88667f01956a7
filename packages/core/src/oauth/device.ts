import { OAuthExchangeError, RemoteResponseError } from '../errors.js'
import { callEndpoint, endpointOf } from './back-channel.js'
import { resourceParams, type ScopeInput, scopeParam } from './grants.js'
import { requestTokens, type TokenContext } from './token-request.js'
import type { TokenSet } from './token-set.js'

export interface DeviceAuthorizationParams {
  /** Space-separated scopes, or a list. Default: none sent (the server's default scope). */
  scope?: ScopeInput
  /** RFC 8707 resource indicator(s). Default: none sent. */
  resource?: string | readonly string[]
  /** Auth0-style `audience` parameter. Default: none sent. */
  audience?: string
}

/** The device authorization response (RFC 8628 §3.2), in camelCase. */
export interface DeviceAuthorization {
  /** A secret: kept by the device, never shown. */
  deviceCode: string
  /** Shown to the user. */
  userCode: string
  /** Where the user enters `userCode` (Google's `verification_url` is accepted too). */
  verificationUri: string
  /** The same page with the code filled in (for a QR code), when the server sends one. */
  verificationUriComplete?: string
  /** Seconds the codes live. */
  expiresIn: number
  /** Epoch seconds the codes expire. */
  expiresAt: number
  /** Seconds between polls (default 5, clamped to 1..60). */
  interval: number
}

export interface PollOptions {
  /**
   * Stops polling, during a wait or a request: the promise rejects with a `RemoteResponseError`
   * code `ERR_HTTP_ABORTED`. Default: none (the client's own `signal` still applies).
   */
  signal?: AbortSignal
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
/** RFC 8628 §3.2: the interval when the server sends none. */
const DEFAULT_INTERVAL = 5
// A server asking for a poll a second apart or an hour apart is misconfigured; stay in a sane range.
const MIN_INTERVAL = 1
const MAX_INTERVAL = 60
/** RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval for this and every later request. */
const SLOW_DOWN_STEP = 5

function invalid(message: string): RemoteResponseError {
  return new RemoteResponseError('ERR_DEVICE_RESPONSE_INVALID', message)
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(`The device authorization response has no "${name}" string`)
  }
  return value
}

/** The verification URI is shown to the user, maybe as a link: only an absolute http(s) URL will do. */
function verificationUrl(value: unknown, name: string): string {
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw invalid(`The device authorization response "${name}" is not an http(s) URL`)
  }
  return value
}

/** A number of seconds; a numeric string is accepted, as for `expires_in` of token responses. */
function seconds(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined
}

function clampInterval(value: number): number {
  return Math.min(MAX_INTERVAL, Math.max(MIN_INTERVAL, Math.ceil(value)))
}

/** Checks the device authorization response field by field (RFC 8628 §3.2). */
function parseDeviceAuthorization(body: Record<string, unknown>, now: number): DeviceAuthorization {
  const deviceCode = requiredString(body, 'device_code')
  const userCode = requiredString(body, 'user_code')
  const uriField = body['verification_uri'] === undefined ? 'verification_url' : 'verification_uri'
  const verificationUri = verificationUrl(body[uriField], uriField)
  const expiresIn = seconds(body['expires_in'])
  if (expiresIn === undefined || !Number.isInteger(expiresIn) || expiresIn <= 0) {
    throw invalid('The device authorization response "expires_in" is not a positive number of seconds')
  }
  let interval = DEFAULT_INTERVAL
  if (body['interval'] !== undefined && body['interval'] !== null) {
    const given = seconds(body['interval'])
    if (given === undefined) throw invalid('The device authorization response "interval" is not a number')
    interval = clampInterval(given)
  }
  const device: DeviceAuthorization = {
    deviceCode,
    userCode,
    verificationUri,
    expiresIn,
    expiresAt: Math.floor(now / 1000) + expiresIn,
    interval,
  }
  const complete = body['verification_uri_complete']
  if (complete !== undefined && complete !== null) {
    device.verificationUriComplete = verificationUrl(complete, 'verification_uri_complete')
  }
  return device
}

/**
 * Device authorization request (RFC 8628 §3.1): POSTs to the `device_authorization_endpoint`
 * with client authentication, in the client's request format. Rejects with `OAuthExchangeError`
 * when the server refuses, `RemoteResponseError` `ERR_DEVICE_RESPONSE_INVALID` for a malformed answer.
 */
export async function startDeviceAuthorization(
  ctx: TokenContext,
  params: DeviceAuthorizationParams,
): Promise<DeviceAuthorization> {
  const body = await callEndpoint(ctx, {
    url: endpointOf(ctx, 'device_authorization_endpoint'),
    what: 'The device authorization endpoint',
    params: {
      scope: scopeParam(params.scope),
      audience: params.audience,
      ...resourceParams(params.resource),
    },
  })
  return parseDeviceAuthorization(body, Date.now())
}

function aborted(): RemoteResponseError {
  return new RemoteResponseError('ERR_HTTP_ABORTED', 'Polling the token endpoint was aborted')
}

/** A wait that an abort ends at once (and that `vi.useFakeTimers` controls in tests). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(aborted())
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(aborted())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function expired(): OAuthExchangeError {
  return new OAuthExchangeError('expired_token', 'The device code expired before the user approved')
}

/**
 * Polls the token endpoint (RFC 8628 §3.4) until the user approves: waits `interval` seconds
 * before each request; `authorization_pending` keeps polling, `slow_down` adds 5 seconds to the
 * interval (§3.5). Any other refusal (`access_denied`, `expired_token`...) rejects with that
 * `OAuthExchangeError`, as does any other failure of a request (network, 5xx): nothing is retried.
 *
 * Once `expiresAt` passes, polling stops without asking the server again, with the same error the
 * server would give: `OAuthExchangeError` with `error: 'expired_token'` (code `ERR_OAUTH_EXCHANGE`),
 * so callers handle one case. An abort rejects at once with `ERR_HTTP_ABORTED`.
 */
export async function pollDeviceToken(
  ctx: TokenContext,
  device: DeviceAuthorization,
  options: PollOptions,
): Promise<TokenSet> {
  const signals = [ctx.http.signal, options.signal].filter((s): s is AbortSignal => s !== undefined)
  const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
  const pollCtx: TokenContext = signal === ctx.http.signal ? ctx : { ...ctx, http: { ...ctx.http, signal } }
  const deadline = device.expiresAt * 1000
  let interval = clampInterval(device.interval)
  for (;;) {
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw expired()
    await sleep(Math.min(interval * 1000, remaining), signal)
    if (Date.now() >= deadline) throw expired()
    try {
      return await requestTokens(pollCtx, { grant_type: DEVICE_CODE_GRANT, device_code: device.deviceCode })
    } catch (error) {
      if (!(error instanceof OAuthExchangeError)) throw error
      if (error.error === 'slow_down') interval += SLOW_DOWN_STEP
      else if (error.error !== 'authorization_pending') throw error
    }
  }
}
