import type { IncomingMessage } from 'node:http'
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UseGuards,
} from '@nestjs/common'
import { HttpAdapterHost, Reflector } from '@nestjs/core'
import {
  type Auth,
  ConfigurationError,
  checkRequireSessionOptions,
  type RequestLike,
  type RequireSessionOptions,
  type SessionCheck,
} from '@org/auth-core'
import { AUTH_RUNTIME } from './auth.constants.js'
import { type AuthenticatedRequest, SessionMetadata, StepUpMetadata } from './auth.decorators.js'
import { applyHeaders, SessionCheckException } from './auth.exception.js'
import { requiredScopes } from './auth.guard.js'
import type { AuthRuntime } from './auth.options.js'
import { httpOf, nodeRequest, rejection } from './platform.js'

const SIGN_IN_REQUIRED = { error: 'unauthorized', error_description: 'Sign-in required' }

/**
 * The core's refusal as a Nest exception. Its headers go on the response now (the redirect's
 * `Location`, cookies to delete), so that whichever exception filter answers keeps them.
 */
async function sessionRefusal(refusal: Response, response: unknown, adapterHost: HttpAdapterHost) {
  const headers: [string, string][] = []
  for (const [name, value] of refusal.headers) {
    // The exception filter writes its own body: its type and length are the filter's.
    if (name === 'content-type' || name === 'content-length' || name === 'set-cookie') continue
    headers.push([name, value])
  }
  for (const cookie of refusal.headers.getSetCookie()) headers.push(['set-cookie', cookie])
  applyHeaders(adapterHost, response, headers)
  const isJson = refusal.headers.get('content-type')?.startsWith('application/json') ?? false
  const body = isJson ? ((await refusal.json()) as object) : SIGN_IN_REQUIRED
  return new SessionCheckException(refusal.status, body, headers)
}

/**
 * Requires a signed-in user (web login): `request.auth` then holds `{ claims, token, scopes,
 * session }` (the user's ID-token claims, the session's access token). The core decides the
 * answer without a session: page navigations are redirected to the login route (and come back
 * afterwards), other requests get 401 JSON; scopes of `@RequireScopes()` (or `@RequireSession`'s
 * `scopes`) missing from the session's access token get 403 JSON. Renewal and refresh cookies are
 * added to the response. The request body is not touched. Prefer `@RequireSession()`, which also
 * tells a global `AuthGuard` to let the route through.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  readonly #login: Auth

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    if (runtime.login === undefined) {
      throw new ConfigurationError('SessionGuard needs the "login" option of AuthModule')
    }
    this.#login = runtime.login
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = httpOf(context, 'SessionGuard')
    const request = http.getRequest<AuthenticatedRequest & object>()
    const response = http.getResponse<unknown>()
    const options = sessionRequirements(this.reflector, context)
    let check: SessionCheck
    try {
      check = await this.#login.requireSession(sessionRequest(nodeRequest(request), this.runtime), options)
    } catch (error) {
      throw rejection(error, response, this.runtime, this.adapterHost)
    }
    if (!check.ok) throw await sessionRefusal(check.response, response, this.adapterHost)
    applyHeaders(
      this.adapterHost,
      response,
      check.cookies.map((cookie) => ['set-cookie', cookie] as const),
    )
    request.auth = check.auth
    return true
  }
}

/**
 * What a route's `@RequireSession()` asks for: the method's options over the class's, the scopes
 * of both and of `@RequireScopes()` together (so a method-level `@RequireSession()` never drops a
 * scope its class requires), and a `@RequireStepUp()` requirement, which wins over theirs.
 */
export function sessionRequirements(reflector: Reflector, context: ExecutionContext): RequireSessionOptions {
  const onClass = reflector.get(SessionMetadata, context.getClass())
  const onHandler = reflector.get(SessionMetadata, context.getHandler())
  const scopes = new Set([
    ...(onClass?.scopes ?? []),
    ...(onHandler?.scopes ?? []),
    ...requiredScopes(reflector, context),
  ])
  // `@RequireStepUp()` on a session route is a session step-up: its requirement (the method's
  // over the class's) is checked by the session check, as `@RequireSession({ acrValues, maxAge })`.
  const stepUp = reflector.getAllAndOverride(StepUpMetadata, [context.getHandler(), context.getClass()])
  return { ...onClass, ...onHandler, ...stepUp, scopes: [...scopes] }
}

/** A body-less Web request for a session check: the body stays for the route's own parser. */
export function sessionRequest(req: IncomingMessage, runtime: AuthRuntime): RequestLike {
  return runtime.sessionRequest(req)
}

/**
 * `@RequireSession(options?)`: the route (or every route of the controller) needs a signed-in
 * user, through {@link SessionGuard}; a global `AuthGuard` lets it through. `options.onMissing`:
 * `auto` (default; redirect navigations, 401 the rest), `redirect` or `401`; `options.scopes`:
 * scopes the session's access token must have (default: none, plus any `@RequireScopes()`).
 */
export function RequireSession(options: RequireSessionOptions = {}): ClassDecorator & MethodDecorator {
  // Checked when the decorator is applied (the application loads), like `@RequireScopes()`.
  checkRequireSessionOptions(options)
  return applyDecorators(SessionMetadata({ ...options }), UseGuards(SessionGuard))
}
