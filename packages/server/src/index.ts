export { ClientRegistryError } from './clients/errors.js'
export { ASSERTION_ALGORITHMS, type ClientJwk } from './clients/jwks.js'
export {
  type ClientRegistry,
  type ClientRegistryOptions,
  type CreateClientInput,
  type CreatedClient,
  createClientRegistry,
  type UpdateClientInput,
} from './clients/registry.js'
export { CLIENT_ID_PREFIX, SECRET_PREFIX } from './clients/secrets.js'
export {
  type ClientRecord,
  type ClientStore,
  createMemoryClientStore,
  type GrantType,
  type MemoryClientStoreOptions,
  type StoredClient,
  type TokenEndpointAuthMethod,
} from './clients/store.js'
export { GRANT_TYPES, TOKEN_ENDPOINT_AUTH_METHODS } from './clients/validate.js'
export { DelegationStoreFullError } from './delegation/errors.js'
export type {
  DelegationEvent,
  DelegationServiceOptions,
  OtpMessage,
  OtpSender,
  RegisteredProvider,
} from './delegation/options.js'
export {
  createMemoryReplayStore,
  type MemoryReplayStoreOptions,
  type ReplayStore,
} from './delegation/replay.js'
export { createDelegationService, type DelegationHandler } from './delegation/service.js'
export {
  type CredentialRecord,
  createMemoryDelegationStore,
  type DelegationStore,
  type MemoryDelegationStoreOptions,
  type MfaChangeSessionRecord,
} from './delegation/store.js'
export { KeyRingError } from './keys/errors.js'
export { SIGNING_ALGORITHMS } from './keys/generate.js'
export {
  createKeyRing,
  type KeyInfo,
  type KeyRing,
  type KeyRingOptions,
  type KeyState,
} from './keys/key-ring.js'
export {
  createMemoryKeyStore,
  type KeyRecord,
  type KeyStore,
  type MemoryKeyStoreOptions,
} from './keys/key-store.js'
export type { SigningAlgorithm, SigningKey, SigningKeySource } from './keys/signing-key-source.js'
export type { TokenServerDpopOptions } from './token-server/dpop.js'
export type { TokenServerLimits, TokenServerOptions } from './token-server/options.js'
export {
  createMemoryRevocationStore,
  type MemoryRevocationStoreOptions,
  type RevocationStore,
  RevocationStoreError,
} from './token-server/revocation-store.js'
export { createTokenServer, type TokenServerHandler } from './token-server/server.js'
export {
  type GeneratedSigningKey,
  generateSigningKey,
  staticSigningKeys,
} from './token-server/static-keys.js'
export {
  base32Decode,
  base32Encode,
  generateTotp,
  generateTotpSecret,
  hotp,
  otpauthUri,
  type TotpAlgorithm,
  type TotpOptions,
  verifyTotp,
} from './totp.js'
