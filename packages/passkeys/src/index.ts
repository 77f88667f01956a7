export type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
export { KNOWN_PROVIDERS, providerName, UNKNOWN_AAGUID } from './aaguid.js'
export {
  type CredentialPage,
  type CredentialStore,
  type CredentialUse,
  MemoryCredentialStore,
  type MemoryCredentialStoreOptions,
  type PasskeyCredential,
  type PasskeyTransport,
} from './credential-store.js'
export {
  PasskeyError,
  type PasskeyErrorCode,
  PasskeyRateLimitError,
  PasskeyReauthenticationError,
} from './errors.js'
export { createPasskeyHandler, type PasskeyHandlerOptions } from './handler.js'
export type {
  CredentialList,
  CredentialScope,
  ListCredentialsQuery,
  PasskeyCredentialInfo,
  PasskeyManagement,
} from './management.js'
export type { PasskeyLogger, PasskeysOptions, PasskeyUser, UserVerification } from './options.js'
export { createPasskeys, type Passkeys, type TransactionResult } from './passkeys.js'
export type { PasskeyRateLimit } from './rate-limit.js'
export { LIMITS } from './response.js'
export {
  createSessionPasskeyHandler,
  type PasskeySessionAuth,
  passkeyAmr,
  type SessionPasskeyOptions,
} from './session.js'
export type { AssertionResult } from './verify-assertion.js'
