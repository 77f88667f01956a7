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
  SessionSummary,
  TokenVerifierOptions,
} from '@org/auth-core'
export { type AuthErrorHandlerOptions, authErrorHandler } from './error-handler.js'
export { getAuth, type RequestAuth } from './request-auth.js'
export { type RequireAuthOptions, requireAuth, requireScopes } from './require-auth.js'
export {
  type AuthMiddleware,
  type AuthMiddlewareOptions,
  auth,
  getSession,
  listSessions,
  requireSession,
  revokeAllSessions,
  revokeSession,
} from './session.js'
export { protectedResourceMetadata, requireStepUp } from './step-up.js'
