export type { AuthContext, BearerVerifier, JWTClaims, TokenVerifierOptions } from '@org/auth-core'
export {
  type AuthEnv,
  AuthHTTPException,
  type RequireAuthOptions,
  requireAuth,
  requireScopes,
  requireScopesWith,
} from './require-auth.js'
