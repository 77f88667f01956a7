import { createParamDecorator, type ExecutionContext } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import type {
  AuthContext,
  AuthenticationRequirement,
  JWTClaims,
  RequireSessionOptions,
  SessionAuthContext,
} from '@org/auth-core'
import { authenticationRequirement, ConfigurationError, scopeNames } from '@org/auth-core'
import { PUBLIC_KEY, SCOPES_KEY, SESSION_KEY, STEP_UP_KEY } from './auth.constants.js'

/** What the guards attach to the request: a bearer token's context, or a session user's. */
export type RequestAuth<C extends JWTClaims = JWTClaims> = AuthContext<C> | SessionAuthContext

/** The request as the guards leave it (Express's `req` or Fastify's `request`). */
export interface AuthenticatedRequest {
  /** Set by `AuthGuard` or `SessionGuard`; `'session' in auth` tells a session user from a token. */
  auth?: RequestAuth
}

/** `@Public()`: the route (or every route of the controller) needs no bearer token. */
export const Public = Reflector.createDecorator<undefined, true>({ key: PUBLIC_KEY, transform: () => true })

/** Scopes required by `@RequireScopes()`, already checked for well-formedness. */
export const ScopesMetadata = Reflector.createDecorator<readonly string[]>({ key: SCOPES_KEY })

/** `RequireSessionOptions` of `@RequireSession()`; read by both guards. */
export const SessionMetadata = Reflector.createDecorator<RequireSessionOptions>({ key: SESSION_KEY })

/**
 * `@RequireScopes('write')`: every listed scope must be granted, on the route or, on a
 * controller, on each of its routes (a route's and its controller's scopes add up). A bearer
 * token lacking one gets 403 `insufficient_scope`; a session, 403 JSON. Scope names are checked
 * when the decorator is applied, i.e. when the application loads.
 */
export function RequireScopes(...scopes: string[]): ClassDecorator & MethodDecorator {
  return ScopesMetadata(scopeNames(scopes))
}

/** The requirement of `@RequireStepUp()`, already checked. */
export const StepUpMetadata = Reflector.createDecorator<Readonly<AuthenticationRequirement>>({
  key: STEP_UP_KEY,
})

/**
 * `@RequireStepUp({ acrValues, maxAge })` (RFC 9470), with `AuthGuard`: the token's `acr` must be
 * one of `acrValues` and its `auth_time` at most `maxAge` seconds old, else 401
 * `insufficient_user_authentication` naming what to ask the authorization server for. On a
 * handler it replaces its controller's. On a `@RequireSession()` route it is the session's
 * step-up (the browser is sent to log in again), as `@RequireSession({ acrValues, maxAge })`.
 * Checked when the application loads.
 */
export function RequireStepUp(requirement: AuthenticationRequirement): ClassDecorator & MethodDecorator {
  const checked = authenticationRequirement(requirement)
  if (checked === undefined) throw new ConfigurationError('@RequireStepUp() needs "acrValues" or "maxAge"')
  return StepUpMetadata(checked)
}

/** The field of the auth context `@CurrentAuth(field)` returns; none for the whole context. */
export type AuthField = 'claims' | 'token' | 'scopes' | 'session'

function currentAuth(field: AuthField | undefined, context: ExecutionContext): unknown {
  const { auth } = context.switchToHttp().getRequest<AuthenticatedRequest>()
  // A route without a guard has no auth: a programming mistake, answered 500, never "anonymous".
  if (auth === undefined) {
    throw new ConfigurationError('@CurrentAuth() needs AuthGuard or SessionGuard on the route')
  }
  if (field === undefined) return auth
  if (field === 'session') {
    if (!('session' in auth)) throw new ConfigurationError('@CurrentAuth("session") needs SessionGuard')
    return auth.session
  }
  return auth[field]
}

/**
 * The authenticated caller, as a handler parameter: `@CurrentAuth() auth: AuthContext<MyClaims>`
 * after `AuthGuard` (claims of the token), `@CurrentAuth() auth: SessionAuthContext` after
 * `SessionGuard` (the user's ID-token claims, the session's access token and scopes), or one
 * field: `@CurrentAuth('claims') claims: MyClaims`. A route that no guard protected throws a
 * `ConfigurationError` (500) rather than passing `undefined`.
 */
export const CurrentAuth: (field?: AuthField) => ParameterDecorator = createParamDecorator(currentAuth)
