/**
 * `auth.sessionFetch(session, { allowedOrigins })`: a `fetch` that calls your API with a session's
 * access token, as its type requires: Bearer, or DPoP with a proof by the session's key (and the
 * API's nonce, retried once on `use_dpop_nonce`). The session is not refreshed here: resolve it
 * first (`resolveSession`, `requireSession`), which refreshes a token about to expire.
 */
import type { DpopNonces } from '../dpop/nonces.js'
import { ConfigurationError, SessionError } from '../errors.js'
import {
  type AuthorizedFetch,
  type AuthorizedFetchOptions,
  allowedOriginsOf,
} from '../oauth/authorized-fetch.js'
import { isReplayable, isRequest, sendWithToken } from '../oauth/token-sender.js'
import type { SessionDpopKeys } from './session-dpop.js'
import { type Session, tokensOfSession } from './session-resolver.js'

export interface SessionFetchOptions {
  /**
   * The only origins (`https://api.example.com`) the session's token is sent to; a request
   * elsewhere is refused before anything is sent. Required.
   */
  allowedOrigins: readonly string[]
  /** Send the token over plain http to hosts other than loopback. Default: false. */
  allowInsecureRequests?: boolean
  /** `fetch` that sends the requests to the API. Default: the global `fetch`. */
  fetch?: typeof fetch
}

export function createSessionFetch(
  dpopKeys: SessionDpopKeys,
  nonces: DpopNonces,
  session: Session,
  options: SessionFetchOptions,
): AuthorizedFetch {
  if (typeof options !== 'object' || options === null || options.allowedOrigins === undefined) {
    throw new ConfigurationError('sessionFetch needs "allowedOrigins": the hosts the token may be sent to')
  }
  const allowed = allowedOriginsOf(options as AuthorizedFetchOptions)
  const tokens = tokensOfSession(session)
  if (tokens === undefined) {
    throw new ConfigurationError(
      'sessionFetch takes a session this Auth returned (resolveSession, requireSession)',
    )
  }
  return async function sessionFetch(input, init) {
    const url = new URL(isRequest(input) ? input.url : String(input))
    if (!allowed.has(url.origin)) {
      const message = `Refusing to send the access token to ${url.origin}: not in allowedOrigins`
      throw new ConfigurationError(message, { code: 'ERR_ORIGIN_NOT_ALLOWED' })
    }
    const { accessToken } = tokens
    if (accessToken === undefined) {
      throw new SessionError('ERR_ACCESS_TOKEN_MISSING', 'The session has no access token', 401)
    }
    const token = { value: accessToken, dpop: await dpopKeys.forSession(tokens) }
    return sendWithToken(
      options.fetch ?? globalThis.fetch,
      nonces,
      input,
      init,
      token,
      isReplayable(input, init),
    )
  }
}
