export type {
  Auth,
  AuthContext,
  AuthOptions,
  BearerVerifier,
  JWTClaims,
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
