/**
 * The options of `AuthModule` and what the module makes of them once, at start-up: a verifier,
 * an `Auth`, and the Node-bridge middleware of the login routes. Every option is checked here,
 * so a mistake stops the application from starting instead of failing its first request.
 */

import type { IncomingMessage } from 'node:http'
import {
  type Auth,
  type AuthError,
  type AuthOptions,
  type BearerVerifier,
  ConfigurationError,
  type ErrorResponseOptions,
  type ProtectedResource,
  type RequestLike,
  resolveAuth,
  resolveVerifier,
  type TokenVerifierOptions,
} from '@org/auth-core'
import {
  type NodeMiddleware,
  nodeHandler,
  sessionRequestBuilder,
  type ToWebRequestOptions,
} from '@org/auth-core/node'

/** How the public URL of a request is found, and the body limit of the login routes. */
export type AuthBridgeOptions = Pick<ToWebRequestOptions, 'bodyLimit' | 'trustProxy' | 'origin'>

/** Options of `AuthModule.forRoot()` (or what the `useFactory` of `forRootAsync()` returns). */
export interface AuthModuleOptions extends ErrorResponseOptions {
  /**
   * Bearer tokens for `AuthGuard`: `createTokenVerifier` options (the verifier is created once,
   * at start-up) or any verifier / resource server from `@org/auth-core`. Default: none; then
   * `AuthGuard` refuses to start.
   */
  verifier?: TokenVerifierOptions | BearerVerifier
  /**
   * Web login for `SessionGuard`, `AuthService.getSession()` and the login, callback, logout and
   * session routes: `createAuth` options or an `Auth` you created. Default: none; then no route
   * is served and `SessionGuard` refuses to start.
   */
  login?: AuthOptions | Auth
  /**
   * Node-bridge settings of the login routes, session checks and the DPoP `htu` check of
   * `AuthGuard`: `origin` (the public origin;
   * default: from `Host`, prefer `baseUrl` in `login`), `trustProxy` (read `X-Forwarded-*`;
   * default `false`), `bodyLimit` (largest login-route body; default 1 MiB).
   */
  bridge?: AuthBridgeOptions
  /**
   * Called with every auth failure a guard turns into a response, e.g. to log `error.code`.
   * Messages never contain tokens or secrets. Default: none.
   */
  onError?: (error: AuthError) => void
  /**
   * The API's protected resource metadata (RFC 9728, `protectedResource()` from
   * `@org/auth-core`): the module serves the document at its well-known path, and every
   * challenge names it in `resource_metadata`. Default: none.
   */
  protectedResource?: ProtectedResource
}

/** Options of `forRoot()` / `forRootAsync()` that shape the module itself (not resolved by a factory). */
export interface AuthModuleExtras {
  /**
   * Registers `AuthGuard` as a global guard (`APP_GUARD`): every route needs a bearer token
   * unless it is marked `@Public()` or `@RequireSession()`. Default: `false`.
   */
  globalGuard?: boolean
}

/** What the guards, the service and the middleware share: the options, resolved once. */
export interface AuthRuntime {
  readonly verifier: BearerVerifier | undefined
  readonly login: Auth | undefined
  /** The login routes through the core's Node bridge, when `login` is set. */
  readonly serveLogin: NodeMiddleware | undefined
  readonly bridge: AuthBridgeOptions
  /** The session functions' requests, built with `bridge` (checked once). */
  readonly sessionRequest: (req: IncomingMessage) => RequestLike
  readonly errorResponse: ErrorResponseOptions
  readonly protectedResource: ProtectedResource | undefined
  readonly onError: ((error: AuthError) => void) | undefined
}

/**
 * Resolves `AuthModuleOptions`. Login-route failures that are not the client's (a broken
 * provider answer, a bug) are answered with a bare 500 and handed to `reportServerError`.
 */
export function createRuntime(
  options: AuthModuleOptions,
  reportServerError: (error: unknown) => void,
): AuthRuntime {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('AuthModule needs an options object')
  }
  const { verifier, login, bridge = {}, realm, onError, protectedResource } = options
  if (verifier === undefined && login === undefined) {
    throw new ConfigurationError('AuthModule needs "verifier", "login" or both')
  }
  if (protectedResource !== undefined && typeof protectedResource.describe !== 'function') {
    throw new ConfigurationError('AuthModule option "protectedResource" must come from protectedResource()')
  }
  const resourceMetadata = options.resourceMetadata ?? protectedResource?.metadataUrl
  if (onError !== undefined && typeof onError !== 'function') {
    throw new ConfigurationError('AuthModule option "onError" must be a function')
  }
  const auth = login === undefined ? undefined : resolveAuth(login, bridge)
  return Object.freeze({
    verifier: verifier === undefined ? undefined : resolveVerifier(verifier),
    login: auth,
    // Created here so that invalid bridge options fail at start-up.
    serveLogin:
      auth === undefined ? undefined : nodeHandler(auth.handler, { ...bridge, onError: reportServerError }),
    bridge: { ...bridge },
    sessionRequest: sessionRequestBuilder(bridge),
    errorResponse: {
      ...(realm === undefined ? {} : { realm }),
      ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
    },
    protectedResource,
    onError,
  })
}
