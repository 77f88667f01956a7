/**
 * Passkeys behind `createAuth`'s session, for every framework at once: the handler's user is the
 * session's, a passkey sign-in writes the same sealed session an OIDC login does
 * (`auth.signIn`), and a step-up refreshes the session's `auth_time` (`auth.stepUp`). Adapters
 * only mount the returned Web handler; none of them depends on this package.
 */
import {
  type Auth,
  authenticationRequirement,
  ConfigurationError,
  LoginRefusedError,
  type Session,
  type SignInOptions,
  unmetAuthentication,
} from '@org/auth-core'
import { PasskeyReauthenticationError } from './errors.js'
import { createPasskeyHandler, type PasskeyHandlerOptions } from './handler.js'
import type { PasskeyUser } from './options.js'
import type { Passkeys } from './passkeys.js'
import type { AssertionResult } from './verify-assertion.js'

/** What the session glue needs of `createAuth`'s `Auth`: reading the session and writing one. */
export type PasskeySessionAuth = Pick<Auth, 'getSession' | 'signIn' | 'stepUp' | 'loginUrl'>

export interface SessionPasskeyOptions
  extends Pick<PasskeyHandlerOptions, 'basePath' | 'maxBodyBytes' | 'rateLimit'> {
  /**
   * The passkey user of a session: the WebAuthn user handle is its `id` (never an email). Default:
   * `id` the session's `sub`, `name` its `email`, `preferred_username`, `name` or `sub`, whichever
   * comes first, `displayName` its `name`.
   */
  user?(session: Session): PasskeyUser
  /**
   * The claims of the session a passkey sign-in writes, for the credential's user id (look the
   * user up in your directory: `name`, `email`). `undefined` refuses the sign-in
   * (`ERR_LOGIN_REFUSED`, 403): a user you have disabled. Default: `{ sub: userId }`.
   */
  claims?(
    userId: string,
    result: AssertionResult,
    request: Request,
  ): SignInOptions['user'] | undefined | Promise<SignInOptions['user'] | undefined>
  /** An `acr` for the sessions passkeys sign in and step up. Default: none. */
  acr?: string
  /**
   * Seconds since the session's sign-in (`auth_time`) within which the user may add or remove a
   * passkey; past it (or without `auth_time`) those routes answer 401
   * `ERR_PASSKEY_REAUTHENTICATION_REQUIRED` with `max_age` and `login`: the login route asking the
   * provider for a fresh sign-in, coming back to the page. A passkey step-up also makes it recent.
   * `false` turns the check off. Default: 600 (10 minutes).
   */
  reauthenticateAfter?: number | false
  /**
   * The clock (epoch milliseconds) a sign-in's age is judged by: the same as `createAuth`'s `now`,
   * which writes `auth_time` for passkey sign-ins and step-ups. Default: `Date.now`.
   */
  now?: () => number
}

const DEFAULT_REAUTHENTICATE_AFTER = 600
/**
 * A registration begun within the window (`register/options`) may finish this much later: its
 * challenge was issued under the check and is bound to the user, and the user has already
 * touched the authenticator by then.
 */
const FINISH_GRACE_SECONDS = 300
/**
 * The `max_age` the login link asks the provider for: a sign-in this fresh (not merely within the
 * window, which a provider session a few minutes old would meet, leaving the user seconds).
 */
const LOGIN_MAX_AGE = 60

/** The application page a request came from (its `Referer`), to come back to after signing in. */
function sourcePage(request: Request, origins: readonly string[]): string | undefined {
  const referer = request.headers.get('referer')
  if (referer === null) return undefined
  try {
    const from = new URL(referer)
    // The core's login route checks again that it stays on the application's origin.
    return origins.includes(from.origin) || from.origin === new URL(request.url).origin
      ? from.pathname + from.search
      : undefined
  } catch {
    return undefined
  }
}

/**
 * RFC 8176 methods of a passkey assertion: `pop` (proof of possession of a key: the passkey's
 * private key, wherever the authenticator keeps it; not `hwk`, since synced passkeys are not
 * hardware-bound), `user` (the presence test every assertion passes) and, when the authenticator
 * verified the user by PIN or biometric, `mfa` (possession plus that second factor).
 */
export function passkeyAmr(result: Pick<AssertionResult, 'userVerified'>): string[] {
  return result.userVerified ? ['pop', 'user', 'mfa'] : ['pop', 'user']
}

function defaultUser(session: Session): PasskeyUser {
  const claims = session.user
  const text = (name: string) => {
    const value = claims[name]
    return typeof value === 'string' && value.length > 0 ? value : undefined
  }
  const display = text('name')
  return {
    id: claims.sub,
    name: text('email') ?? text('preferred_username') ?? display ?? claims.sub,
    ...(display === undefined ? {} : { displayName: display }),
  }
}

function answer(established: Awaited<ReturnType<Auth['signIn']>>): Response {
  const { session, cookies } = established
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' })
  for (const cookie of cookies) headers.append('set-cookie', cookie)
  const body = { user: session.user, expiresAt: session.expiresAt }
  return new Response(JSON.stringify(body), { status: 200, headers })
}

/**
 * The passkey routes of `createPasskeyHandler`, behind `auth`'s session: registration,
 * transactions and management for the signed-in user only (401 without a session), a passkey
 * sign-in that answers `{ user, expiresAt }` with the session cookie, and a step-up that records
 * the fresh authentication in the session (so `requireSession({ maxAge })` passes). `auth` may be
 * a function returning it, called per request: Next's `nextAuth.auth`, whose `Auth` is made on
 * first use (a build without the run time's secrets still loads the route module).
 */
export function createSessionPasskeyHandler(
  auth: PasskeySessionAuth | (() => PasskeySessionAuth),
  passkeys: Passkeys,
  options: SessionPasskeyOptions = {},
): (request: Request) => Promise<Response> {
  const toUser = options.user ?? defaultUser
  const authOf = typeof auth === 'function' ? auth : () => auth
  const { acr } = options
  const maxAge = options.reauthenticateAfter ?? DEFAULT_REAUTHENTICATE_AFTER
  if (maxAge !== false && !(Number.isInteger(maxAge) && maxAge > 0)) {
    throw new ConfigurationError('"reauthenticateAfter" must be a positive whole number of seconds, or false')
  }
  // The core's bounds for a max_age (at most ten years), checked now rather than on a refusal.
  if (maxAge !== false) authenticationRequirement({ maxAge: maxAge + FINISH_GRACE_SECONDS })
  // The session of each request, read once: a guarded route asks for the user, then (adding or
  // removing a passkey) for the sign-in's age, and both come from the same session.
  const sessions = new WeakMap<Request, Promise<Session | null>>()
  const sessionOf = (request: Request): Promise<Session | null> => {
    let session = sessions.get(request)
    if (session === undefined) {
      session = authOf().getSession(request)
      sessions.set(request, session)
    }
    return session
  }
  return createPasskeyHandler(passkeys, {
    ...(options.basePath === undefined ? {} : { basePath: options.basePath }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    // Read-only: no renewal or refresh whose cookies this handler's answers would drop.
    getUser: async (request) => {
      const session = await sessionOf(request)
      return session === null ? undefined : toUser(session)
    },
    ...(maxAge === false
      ? {}
      : {
          requireRecentAuthentication: async (
            request: Request,
            _user: PasskeyUser,
            stage: 'start' | 'finish',
          ) => {
            const session = await sessionOf(request)
            const now = Math.floor((options.now?.() ?? Date.now()) / 1000)
            const allowed = stage === 'finish' ? maxAge + FINISH_GRACE_SECONDS : maxAge
            // The core's rule for max_age, as requireSession({ maxAge }) applies it: no auth_time
            // (or one that is not a finite number) is no proof of a recent sign-in.
            if (session !== null && unmetAuthentication(session.user, { maxAge: allowed }, now) === undefined)
              return
            const login = authOf().loginUrl(request, sourcePage(request, passkeys.origins), {
              maxAge: Math.min(maxAge, LOGIN_MAX_AGE),
            })
            throw new PasskeyReauthenticationError(maxAge, login)
          },
        }),
    onAuthenticated: async (result, request) => {
      const user =
        options.claims === undefined
          ? { sub: result.userId }
          : await options.claims(result.userId, result, request)
      if (user === undefined) throw new LoginRefusedError()
      if (user.sub !== result.userId)
        throw new TypeError('"claims" must keep the passkey\'s user id as "sub"')
      return answer(
        await authOf().signIn(request, {
          user,
          amr: passkeyAmr(result),
          ...(acr === undefined ? {} : { acr }),
        }),
      )
    },
    onStepUp: async (result, request) =>
      answer(
        await authOf().stepUp(request, {
          sub: result.userId,
          amr: passkeyAmr(result),
          ...(acr === undefined ? {} : { acr }),
        }),
      ),
  })
}
