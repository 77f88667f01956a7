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
  type AuthenticatedRequest,
  type AuthField,
  CurrentAuth,
  Public,
  type RequestAuth,
  RequireScopes,
  RequireStepUp,
  StepUpMetadata,
} from './auth.decorators.js'
export { AuthException, AuthExceptionFilter, SessionCheckException } from './auth.exception.js'
export { AuthGuard } from './auth.guard.js'
export {
  AUTH_MODULE_OPTIONS,
  AuthModule,
  type AuthModuleAsyncOptions,
  type AuthModuleForRootOptions,
} from './auth.module.js'
export type { AuthBridgeOptions, AuthModuleExtras, AuthModuleOptions } from './auth.options.js'
export { AuthService } from './auth.service.js'
export { RequireSession, SessionGuard } from './session.guard.js'
export { answerWith } from './web-handler.js'
