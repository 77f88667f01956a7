export type {
  Auth,
  AuthContext,
  AuthOptions,
  BearerVerifier,
  JWTClaims,
  RequireSessionOptions,
  Session,
  SessionAuthContext,
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
  requireSession,
  type SessionEnv,
  type SignedInEnv,
} from './session.js'
