import type { ScopeInput } from './grants.js'
import type { TokenContext } from './token-request.js'
import type { TokenSet } from './token-set.js'

export interface DeviceAuthorizationParams {
  scope?: ScopeInput
  resource?: string | readonly string[]
  audience?: string
}

/** The device authorization response (RFC 8628 §3.2), in camelCase. */
export interface DeviceAuthorization {
  /** A secret: kept by the device, never shown. */
  deviceCode: string
  /** Shown to the user. */
  userCode: string
  verificationUri: string
  verificationUriComplete?: string
  /** Seconds the codes live. */
  expiresIn: number
  /** Epoch seconds the codes expire. */
  expiresAt: number
  /** Seconds between polls (default 5, clamped to 1..60). */
  interval: number
}

export interface PollOptions {
  /** Stops polling; the promise rejects with an `ERR_HTTP_ABORTED` error. */
  signal?: AbortSignal
}

export async function startDeviceAuthorization(
  _ctx: TokenContext,
  _params: DeviceAuthorizationParams,
): Promise<DeviceAuthorization> {
  throw new Error('startDeviceAuthorization: being written')
}

export async function pollDeviceToken(
  _ctx: TokenContext,
  _device: DeviceAuthorization,
  _options: PollOptions,
): Promise<TokenSet> {
  throw new Error('pollDeviceToken: being written')
}
