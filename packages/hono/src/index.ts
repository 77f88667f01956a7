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
export {
  type AuthEnv,
  type AuthenticatedEnv,
  AuthHTTPException,
  type RequireAuthOptions,
  requireAuth,
  requireScopes,
  requireScopesWith,
} from './require-auth.js'
export {
  type AuthRoutesApp,
  authRoutes,
  getSession,
  listSessions,
  requireSession,
  revokeAllSessions,
  revokeSession,
  type SessionEnv,
  type SignedInEnv,
} from './session.js'
export { protectedResourceMetadata, requireStepUp } from './step-up.js'
