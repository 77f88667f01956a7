/**
 * `onLogin`: the application's say in a login, once the provider's answer is verified and before
 * the session is written. It can refuse the user, reshape the claims the session keeps, attach
 * its own data (roles from a database, a tenant), or pick where the browser goes next. What it
 * returns is checked here: the `sub` of the login cannot change, and the next location is still a
 * same-origin path.
 */
import { ConfigurationError, nameErrorClass, SessionError } from '../errors.js'
import type { IdTokenClaims } from '../oauth/token-set.js'
import { safeReturnTo } from './return-to.js'
import type { SessionData } from './session-store.js'

/**
 * The application's own data kept with a session (set by `onLogin`, read as `session.data`). It
 * travels sealed in the cookie (or in the store): keep it small and JSON-serialisable. Type it by
 * declaration merging:
 *
 *     declare module '@org/auth-core' { interface SessionAppData { roles: string[] } }
 */
export interface SessionAppData {
  [key: string]: unknown
}

/** What `onLogin` sees: the verified login, before any session exists. */
export interface LoginEvent {
  /** The claims the session will keep (the ID token's, without `aud`, `exp`, `nonce`...). */
  user: SessionData['user']
  /** Every verified claim of the ID token (`iss`, `aud`, `auth_time`, `acr`, `amr`...). */
  idTokenClaims: IdTokenClaims
  /** The access token for your API, e.g. to load the user's roles. Never send it to the browser. */
  accessToken: string | undefined
  /** The scope granted, space-separated. */
  scope: string
  /** Where the browser goes after the login (a same-origin path). */
  returnTo: string
  /** The callback request (headers, the client's address as your framework set it). */
  request: Request
}

/** What `onLogin` may return to change the session (every member optional). */
export interface LoginOutcome {
  /**
   * The user claims to keep instead of `event.user` (drop large or sensitive ones, add mapped
   * ones). `sub` is the login's: leave it out or keep it equal.
   */
  user?: Record<string, unknown>
  /** Data of your own, kept with the session as `session.data`. */
  data?: SessionAppData
  /** Another same-origin path to continue at (an unsafe value is ignored). */
  returnTo?: string
}

/**
 * `false` refuses the login (`ERR_LOGIN_REFUSED`, 403, the error page or `onError`); nothing
 * (or `true`) keeps the session as it is; an object changes it. Throwing an `AuthError` refuses
 * with that error instead.
 */
export type OnLogin = (
  event: LoginEvent,
) => LoginOutcome | boolean | undefined | Promise<LoginOutcome | boolean | undefined>

/** A login the application's `onLogin` turned down: no session is written. */
export class LoginRefusedError extends SessionError {
  static {
    nameErrorClass(LoginRefusedError, 'LoginRefusedError')
  }
  constructor() {
    super('ERR_LOGIN_REFUSED', 'The application refused this login', 403)
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** Most characters `data` may take as JSON: it travels in every request's cookie (or the store). */
const MAX_DATA_LENGTH = 4096

/**
 * `value` as the JSON the session is sealed as (a copy: later changes to the hook's objects do
 * not reach the session, and cookie and store modes hold the same thing), or a
 * `ConfigurationError` naming `what`.
 */
function asJson(value: unknown, what: string, maxLength = Number.POSITIVE_INFINITY): Record<string, unknown> {
  let text: string
  try {
    text = JSON.stringify(value)
  } catch (cause) {
    throw new ConfigurationError(`"onLogin" returned ${what} that is not JSON-serialisable`, { cause })
  }
  if (text.length > maxLength) {
    throw new ConfigurationError(`"onLogin" returned ${what} longer than ${maxLength} characters as JSON`)
  }
  const copy: unknown = JSON.parse(text)
  if (!isPlainObject(copy)) throw new ConfigurationError(`"onLogin" returned ${what} that is not an object`)
  return copy
}

/** The hook's own member `name` (never one inherited through a polluted prototype). */
function own(outcome: object, name: keyof LoginOutcome): unknown {
  return Object.hasOwn(outcome, name) ? (outcome as Record<string, unknown>)[name] : undefined
}

/**
 * Runs the hook on a copy of the login (a hook that edits `event.user` in place changes nothing)
 * and returns the session and next location, or throws `LoginRefusedError` / `ConfigurationError`.
 * The session keeps the login's `sub` whatever the hook did.
 */
export async function applyLoginHook(
  hook: OnLogin,
  event: LoginEvent,
  session: SessionData,
  origin: string,
): Promise<{ session: SessionData; returnTo: string }> {
  const { sub } = session.user
  const outcome = await hook({
    ...event,
    user: structuredClone(event.user),
    idTokenClaims: structuredClone(event.idTokenClaims),
  })
  if (outcome === false) throw new LoginRefusedError()
  if (outcome === undefined || outcome === true) return { session, returnTo: event.returnTo }
  if (!isPlainObject(outcome))
    throw new ConfigurationError('"onLogin" must return an object, a boolean or nothing')
  let { user } = session
  const mapped = own(outcome, 'user')
  if (mapped !== undefined) {
    const copy = asJson(mapped, 'a "user"')
    // The refresh checks (OIDC §12.2) and any store keyed by user rely on the login's subject.
    if (copy['sub'] !== undefined && copy['sub'] !== sub) {
      throw new ConfigurationError('"onLogin" may not change the user\'s "sub"')
    }
    user = { ...copy, sub }
  }
  const data = own(outcome, 'data')
  const next = own(outcome, 'returnTo')
  const returnTo = typeof next === 'string' ? (safeReturnTo(next, origin) ?? event.returnTo) : event.returnTo
  return {
    session: {
      ...session,
      user,
      ...(data === undefined ? {} : { data: asJson(data, '"data"', MAX_DATA_LENGTH) as SessionAppData }),
    },
    returnTo,
  }
}
