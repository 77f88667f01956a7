/**
 * The back-channel logout route (OpenID Connect Back-Channel Logout 1.0 §2.5–§2.8): the provider
 * POSTs a logout token, server to server, and the sessions it names end here. No cookie, no
 * browser and no origin are involved, so none of the browser routes' checks (same-origin, site)
 * apply: the token's signature is the whole authentication of the request.
 */
import { isAuthError, SessionError } from '../errors.js'
import { retryAfterOf } from '../http/error-response.js'
import { readCapped } from '../lib/read-capped.js'
import type { OAuthClient } from '../oauth/client.js'
import type { LogoutTokenClaims } from '../oauth/logout-token.js'
import type { AuthConfig } from './auth-config.js'
import { oneTimeKey } from './one-time-store.js'
import { json } from './responses.js'
import type { SessionResolver } from './session-resolver.js'
import type { SessionData, SessionStore } from './session-store.js'

/**
 * Largest request body read: `logout_token=` and a token of at most 8192 characters (the
 * verifier's limit), with room for percent-encoding and parameters the spec lets providers add.
 */
export const MAX_BACKCHANNEL_BODY = 16 * 1024
/**
 * Seconds of clock skew allowed between the provider and this application's instances: a `jti` is
 * remembered this long beyond the token's maximum age, and a session that began up to this long
 * after the token's `iat` still counts as begun before it.
 */
const REPLAY_MARGIN = 60
/**
 * The largest `leeway` an `OAuthClient` takes (seconds): the validator accepts a token until
 * `iat + maxTokenAge + leeway`, so its `jti` must be remembered at least that long.
 */
const MAX_LEEWAY = 600

export interface BackchannelContext {
  config: AuthConfig
  client: () => Promise<OAuthClient>
  resolver: SessionResolver
}

function invalid(code: string, message: string): SessionError {
  return new SessionError(code, message, 400)
}

/** The one `logout_token` of a form-encoded POST body, read within {@link MAX_BACKCHANNEL_BODY}. */
async function logoutTokenOf(request: Request): Promise<string> {
  if (request.method !== 'POST') {
    throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'Back-channel logout takes POST', 405)
  }
  const type = (request.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw invalid(
      'ERR_LOGOUT_REQUEST_INVALID',
      'A back-channel logout request is an application/x-www-form-urlencoded POST',
    )
  }
  const body = await readCapped(request, MAX_BACKCHANNEL_BODY, () =>
    invalid('ERR_LOGOUT_REQUEST_TOO_LARGE', `The request body exceeds ${MAX_BACKCHANNEL_BODY} bytes`),
  )
  const tokens = new URLSearchParams(new TextDecoder().decode(body)).getAll('logout_token')
  if (tokens.length !== 1 || tokens[0] === '') {
    throw invalid('ERR_LOGOUT_REQUEST_INVALID', 'The request must carry exactly one "logout_token"')
  }
  return tokens[0] as string
}

/**
 * The stored sessions a logout token names (§2.7): with `sub`, that user's sessions, only those
 * of the provider session `sid` when it is given (a session that recorded no `sid` ends too: it
 * cannot be told apart, and ending it is the safe side); with `sid` alone, that provider
 * session's. Sessions of another issuer sharing the store are left alone.
 */
async function namedSessions(store: SessionStore, claims: LogoutTokenClaims): Promise<SessionData[]> {
  const { iss, sub, sid } = claims
  let sessions: SessionData[]
  if (sub !== undefined) {
    sessions = await (store.listUserSessions as (sub: string) => Promise<SessionData[]>)(sub)
  } else if (typeof store.listSessionsByIdpSid === 'function') {
    sessions = await store.listSessionsByIdpSid(sid as string)
  } else {
    throw invalid(
      'ERR_LOGOUT_SID_UNSUPPORTED',
      'This session store cannot find sessions by "sid" alone (listSessionsByIdpSid): the token must carry "sub"',
    )
  }
  return sessions.filter(
    (session) =>
      (sub === undefined || session.user.sub === sub) &&
      (sid === undefined || session.idpSid === undefined || session.idpSid === sid) &&
      // The issuer the login recorded (sessions written before it was recorded: the user's `iss`).
      (session.issuer ?? session.user.iss) === iss,
  )
}

/** Validates the logout token, makes its `jti` single-use, and ends the sessions it names. */
async function performLogout(ctx: BackchannelContext, request: Request): Promise<void> {
  const { config } = ctx
  const settings = config.backchannelLogout as { maxTokenAge: number }
  const store = config.store as SessionStore
  const token = await logoutTokenOf(request)
  const client = await ctx.client()
  const claims = await client.verifyLogoutToken(token, { maxAge: settings.maxTokenAge })
  // Only sessions that began before the provider issued the token: a login after the logout is
  // a new session, which a late (or replayed) delivery must not end.
  const named = (await namedSessions(store, claims)).filter(
    (session) => session.createdAt <= claims.iat + REPLAY_MARGIN,
  )
  for (const session of named) {
    await store.delete(session.id)
    ctx.resolver.forget(session.id)
  }
  // Single use on every instance sharing the store, for as long as the token could pass. Spent
  // after the deletions: when the store fails before, the provider's retry of the same token
  // completes the logout instead of being taken for a replay; and a replay ends nothing the
  // first delivery did not (sessions begun before the token), then is refused.
  const key = await oneTimeKey('backchannel-logout', `${claims.iss} ${claims.jti}`)
  if (
    !(await config.oneTimeStore.consume(key, claims.iat + settings.maxTokenAge + MAX_LEEWAY + REPLAY_MARGIN))
  ) {
    throw invalid('ERR_LOGOUT_TOKEN_REPLAYED', 'This logout token was already used')
  }
}

/**
 * POST `routes.backchannelLogout`: 200 (`Cache-Control: no-store`) once the named sessions are
 * gone, also when none was found (the user had none here); 400 with an OAuth error body when the
 * request or its token is refused (§2.8; the body names the check, never the token); 405 for
 * another method. Errors that are not `AuthError`s (a store that is down) are thrown to the caller.
 */
export async function backchannelLogout(ctx: BackchannelContext, request: Request): Promise<Response> {
  try {
    await performLogout(ctx, request)
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } })
  } catch (error) {
    if (!isAuthError(error)) throw error
    // 503 (a store that is down): the provider may retry the same token, which then completes.
    const status = error.status === 405 || error.status === 503 ? error.status : 400
    const description =
      error.status >= 500 ? 'The logout could not be completed' : `${error.message} (${error.code})`
    const response = json(
      {
        error: status === 503 ? 'temporarily_unavailable' : 'invalid_request',
        error_description: description,
      },
      status,
    )
    if (status === 405) response.headers.set('allow', 'POST')
    const retryAfter = status === 503 ? retryAfterOf(error) : undefined
    if (retryAfter !== undefined) response.headers.set('retry-after', String(retryAfter))
    return response
  }
}
