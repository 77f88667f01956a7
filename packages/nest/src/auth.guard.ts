import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common'
import { HttpAdapterHost, Reflector } from '@nestjs/core'
import {
  type AuthContext,
  authenticateNow,
  type BearerRequest,
  type BearerVerifier,
  ConfigurationError,
  isPending,
  requireAuthentication,
  requireGrantedScopes,
} from '@org/auth-core'
import { nodeBearerRequests } from '@org/auth-core/node'
import { AUTH_RUNTIME } from './auth.constants.js'
import {
  type AuthenticatedRequest,
  Public,
  ScopesMetadata,
  SessionMetadata,
  StepUpMetadata,
} from './auth.decorators.js'
import type { AuthRuntime } from './auth.options.js'
import { httpOf, nodeRequest, rejection } from './platform.js'

/** The scopes of `@RequireScopes()` on the controller and the handler, together (controller's first). */
export function requiredScopes(reflector: Reflector, context: ExecutionContext): string[] {
  const declared = reflector.getAll(ScopesMetadata, [context.getClass(), context.getHandler()])
  return [...new Set(declared.flatMap((scopes) => scopes ?? []))]
}

/**
 * Requires a bearer token (RFC 6750) verified by the module's `verifier`; on success
 * `request.auth` holds `{ claims, token, scopes }` (see `@CurrentAuth()`), and the scopes of
 * `@RequireScopes()` are checked. Use it per controller or route (`@UseGuards(AuthGuard)`) or
 * for the whole application (`globalGuard: true`), where `@Public()` and `@RequireSession()`
 * routes are let through to their own rules.
 *
 * Failures are thrown as {@link AuthException} with the `WWW-Authenticate`/`Retry-After`
 * headers already on the response: 400 malformed header, 401 missing or invalid token, 403
 * missing scope, 503 when no verification key can be had.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  readonly #verifier: BearerVerifier
  /** Method, URL (from the module's `bridge` origin / trustProxy) and the Authorization and DPoP headers. */
  readonly #bearerRequest: (request: ReturnType<typeof nodeRequest>) => BearerRequest

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    // Guards are created when the application starts: a missing verifier stops it there.
    if (runtime.verifier === undefined) {
      throw new ConfigurationError('AuthGuard needs the "verifier" option of AuthModule')
    }
    this.#verifier = runtime.verifier
    this.#bearerRequest = nodeBearerRequests(runtime.bridge)
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = httpOf(context, 'AuthGuard')
    const targets = [context.getHandler(), context.getClass()]
    if (this.reflector.getAllAndOverride(Public, targets) === true) return true
    // A session route answers to SessionGuard, not to the bearer guard (when it is global).
    if (this.reflector.getAllAndOverride(SessionMetadata, targets) !== undefined) return true

    const request = http.getRequest<AuthenticatedRequest & object>()
    const response = http.getResponse<unknown>()
    const scopes = requiredScopes(this.reflector, context)
    const stepUp = this.reflector.getAllAndOverride(StepUpMetadata, targets)
    const admit = (auth: AuthContext): true => {
      requireGrantedScopes(auth, scopes)
      requireAuthentication(auth.claims, stepUp)
      request.auth = auth
      return true
    }
    const fail = (error: unknown): never => {
      throw rejection(error, response, this.runtime, this.adapterHost)
    }
    try {
      const result = authenticateNow(this.#verifier, this.#bearerRequest(nodeRequest(request)))
      // A cached token or a refused header is settled at once: no promise, no microtask turn.
      if (!isPending(result)) return admit(result)
      return result.then(admit).catch(fail)
    } catch (error) {
      return fail(error)
    }
  }
}
