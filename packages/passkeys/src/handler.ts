/**
 * One Web-standard handler, `(Request) => Promise<Response>`, for the ceremonies and credential
 * management, JSON in and out, so every adapter can mount it behind its own session: `getUser`
 * says who is signed in, and a signed-in user only ever sees and changes their own passkeys.
 *
 *   POST   {base}/register/options           signed in   → creation options
 *   POST   {base}/register/verify            signed in   → 201 the new credential
 *   POST   {base}/authenticate/options       anyone      → request options (usernameless, autofill)
 *   POST   {base}/authenticate/verify        anyone      → `onAuthenticated` (default: { userId, credentialId })
 *   POST   {base}/step-up/options            signed in   → request options for the user's own passkeys
 *   POST   {base}/step-up/verify             signed in   → `onStepUp` (default: { userId, credentialId }); UV required
 *   POST   {base}/transaction/options        signed in   → request options for { text }
 *   POST   {base}/transaction/verify         signed in   → { text, credentialId } (the signer must be the user)
 *   GET    {base}/credentials?page&pageSize  signed in   → { credentials, total, page, pageSize }
 *   GET    {base}/credentials/{id}           signed in   → the credential
 *   PATCH  {base}/credentials/{id}           signed in   → rename with { name }
 *   DELETE {base}/credentials/{id}           signed in   → { deleted, rpId } (for `signalUnknownCredential`)
 *
 * Adding and removing a passkey can also require a recent sign-in (`requireRecentAuthentication`).
 *
 * Every state-changing request must come from the application's own pages (Sec-Fetch-Site, else
 * Origin, as the core's logout route checks). Refusals answer `{ error, error_description }` with
 * the error's status; errors that are not `AuthError`s are rethrown for the framework.
 */
import {
  type AuthError,
  isAuthError,
  isSameOrigin,
  readCapped,
  retryAfterOf,
  SessionError,
} from '@org/auth-core'
import { PasskeyError, PasskeyReauthenticationError } from './errors.js'
import type { PasskeyUser } from './options.js'
import type { Passkeys } from './passkeys.js'
import { type PasskeyRateLimit, rateLimiter } from './rate-limit.js'
import type { AssertionResult } from './verify-assertion.js'

export interface PasskeyHandlerOptions {
  /** The signed-in user of the request (from the adapter's session), `undefined` when there is none. */
  getUser(request: Request): PasskeyUser | undefined | Promise<PasskeyUser | undefined>
  /**
   * What a verified sign-in answers: establish the session here (set its cookie). Default: JSON
   * `{ userId, credentialId }`, which signs nobody in.
   */
  onAuthenticated?(result: AssertionResult, request: Request): Response | Promise<Response>
  /**
   * What a verified step-up answers (a user-verified assertion by the signed-in user's own
   * passkey): refresh the session's `auth_time` there. Default: JSON `{ userId, credentialId }`.
   */
  onStepUp?(result: AssertionResult, request: Request): Response | Promise<Response>
  /**
   * Called before a passkey is added (`register/options`, `register/verify`) or removed (`DELETE`),
   * to refuse when the user's sign-in is not recent enough: throw a `PasskeyReauthenticationError`
   * (answered 401 `ERR_PASSKEY_REAUTHENTICATION_REQUIRED` with `max_age` and `login`). A stolen
   * session cookie must not be enough to plant a passkey or remove the user's. Default: no check
   * (`createSessionPasskeyHandler` checks the session's `auth_time`).
   */
  requireRecentAuthentication?(
    request: Request,
    user: PasskeyUser,
    /** `start`: `register/options` and `DELETE`; `finish`: `register/verify` (a ceremony begun in time). */
    stage: 'start' | 'finish',
  ): void | Promise<void>
  /**
   * A limit per address on the open sign-in routes (`authenticate/options` and `/verify`): past it,
   * 429 `ERR_PASSKEY_RATE_LIMITED` with `Retry-After`. Default: none. Set it where the routes face
   * the internet: every options call records a challenge until it expires.
   */
  rateLimit?: PasskeyRateLimit
  /** The path the routes live under. Default: `'/passkeys'`. */
  basePath?: string
  /** Largest request body, in bytes. Default: 131,072 (128 KiB). */
  maxBodyBytes?: number
}

type Route = (request: Request, rest: string) => Promise<Response>

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  })
}

function failure(error: AuthError): Response {
  const description = error.status >= 500 ? 'The passkey service failed' : error.message
  const body: Record<string, unknown> = { error: error.code, error_description: description }
  if (error instanceof PasskeyReauthenticationError) {
    body['max_age'] = error.maxAge
    if (error.login !== undefined) body['login'] = error.login
  }
  const response = json(body, error.status)
  // The limit's own wait, or a store that is down (503): when to try again.
  const retryAfter = retryAfterOf(error)
  if (retryAfter !== undefined) response.headers.set('retry-after', String(retryAfter))
  return response
}

/** Reads at most `limit` bytes of the body as JSON; a larger or non-JSON body is refused before parsing. */
async function body(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!type.toLowerCase().startsWith('application/json')) {
    throw new PasskeyError('ERR_PASSKEY_MALFORMED', 'The request body must be application/json')
  }
  const bytes = await readCapped(
    request,
    limit,
    () => new PasskeyError('ERR_PASSKEY_TOO_LARGE', 'The request body is too large'),
  )
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (cause) {
    throw new PasskeyError('ERR_PASSKEY_MALFORMED', 'The request body is not JSON', 400, { cause })
  }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined
}

export function createPasskeyHandler(
  passkeys: Passkeys,
  options: PasskeyHandlerOptions,
): (request: Request) => Promise<Response> {
  const base = (options.basePath ?? '/passkeys').replace(/\/+$/, '')
  const limit = options.maxBodyBytes ?? 131_072
  const rpId = passkeys.rpId
  const limitSignIns = rateLimiter(options.rateLimit)

  async function user(request: Request): Promise<PasskeyUser> {
    const found = await options.getUser(request)
    if (found === undefined) throw new SessionError('ERR_SESSION_REQUIRED', 'Sign-in required', 401)
    return found
  }

  /** The signed-in user, when their sign-in is recent enough to add or remove a passkey. */
  async function recentUser(request: Request, stage: 'start' | 'finish'): Promise<PasskeyUser> {
    const signedIn = await user(request)
    await options.requireRecentAuthentication?.(request, signedIn, stage)
    return signedIn
  }

  const posts: Record<string, Route> = {
    '/register/options': async (request) =>
      json(await passkeys.registrationOptions(await recentUser(request, 'start'))),
    '/register/verify': async (request) => {
      const signedIn = await recentUser(request, 'finish')
      return json(await passkeys.verifyRegistration(signedIn, await body(request, limit)), 201)
    },
    '/authenticate/options': async (request) => {
      await limitSignIns(request)
      return json(await passkeys.authenticationOptions())
    },
    '/authenticate/verify': async (request) => {
      await limitSignIns(request)
      const result = await passkeys.verifyAuthentication(await body(request, limit))
      if (options.onAuthenticated !== undefined) return options.onAuthenticated(result, request)
      return json({ userId: result.userId, credentialId: result.credential.id })
    },
    '/step-up/options': async (request) =>
      json(await passkeys.authenticationOptions({ userId: (await user(request)).id })),
    '/step-up/verify': async (request) => {
      const signedIn = await user(request)
      const result = await passkeys.verifyAuthentication(await body(request, limit))
      // A step-up proves the session's user is here now: their own passkey, and verified
      // (PIN or biometric), whatever `userVerification` sign-ins are configured with.
      if (result.userId !== signedIn.id)
        throw new PasskeyError('ERR_PASSKEY_WRONG_USER', 'Another user authenticated')
      if (!result.userVerified)
        throw new PasskeyError('ERR_PASSKEY_USER_VERIFICATION', 'A step-up needs user verification')
      if (options.onStepUp !== undefined) return options.onStepUp(result, request)
      return json({ userId: result.userId, credentialId: result.credential.id })
    },
    '/transaction/options': async (request) => {
      const signedIn = await user(request)
      const text = field(await body(request, limit), 'text')
      if (typeof text !== 'string')
        throw new PasskeyError('ERR_PASSKEY_INVALID_TEXT', '"text" must be a string')
      return json(await passkeys.transactionOptions(signedIn, text))
    },
    '/transaction/verify': async (request) => {
      const signedIn = await user(request)
      const result = await passkeys.verifyTransaction(await body(request, limit))
      // The challenge was bound to the user it was issued to; this binds it to the session too.
      if (result.userId !== signedIn.id)
        throw new PasskeyError('ERR_PASSKEY_WRONG_USER', 'Another user approved it')
      return json({ text: result.text, credentialId: result.credential.id })
    },
  }

  async function credentials(request: Request, rest: string): Promise<Response> {
    const signedIn = await user(request)
    const scope = { userId: signedIn.id }
    if (rest === '') {
      if (request.method !== 'GET') throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'Use GET', 405)
      const url = new URL(request.url)
      const number = (name: string) => {
        const value = url.searchParams.get(name)
        if (value === null) return undefined
        const parsed = Number(value)
        if (!/^[0-9]{1,7}$/.test(value) || parsed < 1 || (name === 'pageSize' && parsed > 100)) {
          throw new PasskeyError('ERR_PASSKEY_MALFORMED', `"${name}" is not a valid page number or size`)
        }
        return parsed
      }
      const page = number('page')
      const pageSize = number('pageSize')
      return json(
        await passkeys.listCredentials({
          userId: signedIn.id,
          ...(page === undefined ? {} : { page }),
          ...(pageSize === undefined ? {} : { pageSize }),
        }),
      )
    }
    let id: string
    try {
      id = decodeURIComponent(rest.slice(1))
    } catch {
      throw new PasskeyError('ERR_PASSKEY_UNKNOWN_CREDENTIAL', 'No such passkey', 404)
    }
    switch (request.method) {
      case 'GET':
        return json(await passkeys.getCredential(id, scope))
      case 'PATCH': {
        const name = field(await body(request, limit), 'name')
        if (typeof name !== 'string')
          throw new PasskeyError('ERR_PASSKEY_INVALID_TEXT', '"name" must be a string')
        return json(await passkeys.renameCredential(id, name, scope))
      }
      case 'DELETE':
        await options.requireRecentAuthentication?.(request, signedIn, 'start')
        await passkeys.deleteCredential(id, scope)
        return json({ deleted: id, rpId })
      default:
        throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'Use GET, PATCH or DELETE', 405)
    }
  }

  return async function passkeyHandler(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname !== base && !pathname.startsWith(`${base}/`)) return json({ error: 'not_found' }, 404)
    const rest = pathname.slice(base.length)
    try {
      if (request.method !== 'GET' && !passkeys.origins.some((origin) => isSameOrigin(request, origin))) {
        throw new SessionError(
          'ERR_CROSS_SITE_REQUEST',
          'Passkey requests must come from this application',
          403,
        )
      }
      if (rest === '/credentials' || rest.startsWith('/credentials/')) {
        return await credentials(request, rest.slice('/credentials'.length))
      }
      const route = posts[rest]
      if (route === undefined || !Object.hasOwn(posts, rest)) return json({ error: 'not_found' }, 404)
      if (request.method !== 'POST') throw new SessionError('ERR_METHOD_NOT_ALLOWED', 'Use POST', 405)
      return await route(request, rest)
    } catch (error) {
      if (isAuthError(error)) return failure(error)
      throw error
    }
  }
}
