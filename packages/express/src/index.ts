export type { AuthContext, BearerVerifier, JWTClaims, TokenVerifierOptions } from '@org/auth-core'
export { type AuthErrorHandlerOptions, authErrorHandler } from './error-handler.js'
export { requireAuth, requireScopes } from './require-auth.js'
