export {
  type AuthContext,
  authenticate,
  authenticateNow,
  type BearerInput,
  type BearerVerifier,
  isPending,
  missingTokenError,
  resolveVerifier,
} from './authenticate.js'
export { extractBearerToken } from './bearer.js'
export { type BearerRequest, boundJkt } from './dpop/bearer-request.js'
export type { DpopOption } from './dpop/client-dpop.js'
export {
  type CreateDpopKeyOptions,
  createDpopKey,
  DPOP_ALGORITHMS,
  type DPoPKey,
  type DpopAlgorithm,
  exportDpopKey,
  importDpopKey,
} from './dpop/dpop-key.js'
export { DpopBindingError, DpopNonceError, DpopProofError } from './dpop/errors.js'
export { normaliseHtu } from './dpop/htu.js'
export { createDpopNonceSource, type DpopNonceSource, type DpopNonceSourceOptions } from './dpop/nonce.js'
export { DpopNonces } from './dpop/nonces.js'
export {
  createDpopPolicy,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopMode,
  type DpopOptions,
  type DpopPolicy,
  type DpopRequest,
} from './dpop/policy.js'
export { createDpopProof, type DpopProofOptions } from './dpop/proof-sign.js'
export { type DpopProofCheck, type VerifiedDpopProof, verifyDpopProof } from './dpop/proof-verify.js'
export {
  type BearerRequestOptions,
  bearerRequestOf,
  checkOrigin,
  headerValues,
  publicUrl,
  warnHostDerivedHtu,
} from './dpop/request-input.js'
export { jwkThumbprint } from './dpop/thumbprint.js'
export {
  AuthError,
  type AuthErrorOptions,
  AuthorizationResponseError,
  ConfigurationError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidPublicKeyError,
  isAuthError,
  JWTClaimValidationError,
  JWTExpiredError,
  JWTVerificationError,
  KeysUnavailableError,
  MalformedAuthorizationError,
  MfaRequiredError,
  MissingTokenError,
  type OAuthErrorCode,
  OAuthExchangeError,
  RemoteResponseError,
  RevocationUnavailableError,
  SessionError,
  UnusableExchangeResponseError,
} from './errors.js'
export {
  type AuthScheme,
  buildWwwAuthenticate,
  type ChallengeParams,
  type ErrorChallenge,
} from './http/challenge.js'
export {
  authErrorResponse,
  describeAuthError,
  type ErrorResponseOptions,
  type ErrorResponseParts,
  prebuiltErrorResponse,
  retryAfterOf,
} from './http/error-response.js'
export { authorizationFromRawHeaders, authorizationOf, type NodeLikeRequest } from './http/node-headers.js'
export type { JWTClaims } from './jwt/claims.js'
export type { JWTHeader } from './jwt/decode.js'
export { createTokenVerifier, type TokenVerifier } from './jwt/verifier.js'
export type {
  RevocationCheckOptions,
  TokenCacheOptions,
  TokenType,
  TokenVerifierOptions,
} from './jwt/verifier-options.js'
export { type SignatureAlgorithm, SUPPORTED_ALGORITHMS } from './keys/algorithms.js'
export {
  type AuthorizationServerMetadata,
  type DiscoveredKeysOptions,
  type DiscoveryOptions,
  type DiscoverySnapshot,
  discoverIssuer,
} from './keys/discovery.js'
export type { JSONWebKeySet, PublicKeyInput } from './keys/public-key.js'
export {
  createRemoteJwks,
  type JwksSnapshot,
  type RemoteJwks,
  type RemoteJwksOptions,
} from './keys/remote-jwks.js'
export type { HttpOptions } from './lib/fetch-json.js'
export { type BodyLike, readCapped } from './lib/read-capped.js'
export type { WarningHandler } from './lib/warn-once.js'
export type {
  AuthorizationRequest,
  AuthorizationUrlParams,
  CallbackOptions,
  EndSessionParams,
  ExpectedAuthorization,
} from './oauth/authorization-code.js'
export {
  type AuthorizedFetch,
  type AuthorizedFetchOptions,
  createAuthorizedFetch,
} from './oauth/authorized-fetch.js'
export { OAuthClient } from './oauth/client.js'
export {
  type ClientAuthentication,
  ClientSecretBasic,
  ClientSecretPost,
  None,
  PrivateKeyJwt,
  type PrivateKeyJwtOptions,
} from './oauth/client-auth.js'
export type { DiscoverOAuthClientOptions, OAuthClientOptions } from './oauth/client-options.js'
export type { DeviceAuthorization, DeviceAuthorizationParams, PollOptions } from './oauth/device.js'
export {
  type ExchangeCodeOptions,
  type ExchangePublicKey,
  exchangeCodeForClaims,
} from './oauth/exchange-code.js'
export {
  areValidFlows,
  flowNames,
  isValidFlow,
  type OAuthFlow,
  OAuthFlowNames,
  OAuthFlows,
} from './oauth/flows.js'
export type { ClientCredentialsParams, PasswordParams, RefreshParams, ScopeInput } from './oauth/grants.js'
export {
  createIdTokenValidator,
  type IdTokenExpectations,
  type IdTokenValidator,
  type IdTokenValidatorOptions,
} from './oauth/id-token.js'
export {
  BACKCHANNEL_LOGOUT_EVENT,
  createLogoutTokenValidator,
  type LogoutTokenClaims,
  type LogoutTokenValidator,
  type LogoutTokenValidatorOptions,
} from './oauth/logout-token.js'
export type { MfaAuthenticator, MfaChallenge } from './oauth/mfa.js'
export { createPkcePair, type PkcePair } from './oauth/pkce.js'
export {
  type IntrospectionResponse,
  skipSubjectCheck,
  type TokenTypeHint,
  type UserinfoClaims,
  type UserinfoOptions,
} from './oauth/token-endpoints.js'
export type { IdTokenClaims, TokenSet } from './oauth/token-set.js'
export { normalizePathname } from './pathname.js'
export {
  type ProtectedResource,
  type ProtectedResourceOptions,
  protectedResource,
} from './protected-resource.js'
export { createResourceServer, type ResourceServer, type ResourceServerOptions } from './resource-server.js'
export {
  missingScopes,
  parseScope,
  requireGrantedScopes,
  type ScopedAuth,
  scopeNames,
  scopesOf,
} from './scopes.js'
export {
  type AuthenticationClaims,
  type AuthenticationRequirement,
  authenticationRequirement,
  requireAuthentication,
  unmetAuthentication,
} from './step-up.js'
export type {
  AuthOptions,
  AuthRoutes,
  BackchannelLogoutOptions,
  SessionOptions,
} from './web/auth-options.js'
export { type Auth, createAuth, type RegistrationMetadata, resolveAuth } from './web/create-auth.js'
export {
  type LoginEvent,
  type LoginOutcome,
  LoginRefusedError,
  type OnLogin,
  type SessionAppData,
} from './web/login-hook.js'
export {
  MemoryOneTimeStore,
  type MemoryOneTimeStoreOptions,
  type OneTimeStore,
} from './web/one-time-store.js'
export {
  checkWindowSeconds,
  MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimitCount,
  type RateLimitStore,
} from './web/rate-limit-store.js'
export type { RequestLike } from './web/request-like.js'
export {
  checkRequireSessionOptions,
  type RequireSessionOptions,
  type SessionAuthContext,
  type SessionCheck,
  sessionAuthContext,
} from './web/require-session.js'
export { isSameOrigin } from './web/responses.js'
export { safeReturnTo } from './web/return-to.js'
export type { SessionFetchOptions } from './web/session-fetch.js'
export type { SessionSummary } from './web/session-management.js'
export type { ResolvedSession, Session } from './web/session-resolver.js'
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionData,
  type SessionStore,
  type SessionTokens,
} from './web/session-store.js'
export type { EstablishedSession, SignInOptions, StepUpOptions } from './web/sign-in.js'
