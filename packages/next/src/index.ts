export type {
  Auth,
  AuthContext,
  AuthenticationRequirement,
  AuthOptions,
  BearerVerifier,
  JWTClaims,
  ProtectedResource,
  RequireSessionOptions,
  Session,
  SessionAuthContext,
  TokenVerifierOptions,
} from '@org/auth-core'
export { type AuthRouteHandlers, createNextAuth, type NextAuth } from './create-next-auth.js'
export {
  DEFAULT_BASE_PATH,
  type NextAuthBearerOnlyOptions,
  type NextAuthConfig,
  type NextAuthLoginOptions,
  type NextAuthOptions,
} from './options.js'
export { type AuthProxy, type AuthProxyOptions, createAuthProxy } from './proxy.js'
export {
  protectedResourceRoute,
  type RouteContext,
  type RouteHandler,
  type WithAuth,
  type WithAuthOptions,
  type WithSession,
} from './route-handlers.js'
