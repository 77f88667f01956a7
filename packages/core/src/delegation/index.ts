/**
 * `@org/auth-core/delegation`: the MFA delegation client, and the protocol building blocks an
 * identity provider needs to answer it (`@org/auth-server` is built on them). Runtime-agnostic.
 */
export { checkEnvelopeClaims, type EnvelopeClaims, type EnvelopeExpectations } from './claims.js'
export {
  type CallOptions,
  DelegationClient,
  type DelegationClientOptions,
  delegationBaseUrl,
  type InitiateMfaChangeParams,
  type VerifyMfaChangeParams,
} from './client.js'
export {
  decryptEnvelope,
  encryptEnvelope,
  peekEnvelope,
  sealEnvelope,
  signEnvelope,
  verifyEnvelope,
} from './envelope.js'
export {
  DELEGATION_WIRE_ERRORS,
  DelegationInputError,
  DelegationProtocolError,
  DelegationRefusedError,
  delegationErrorCode,
  InvalidPrivateKeyError,
} from './errors.js'
export {
  checkMfaChangeTarget,
  checkOtp,
  checkSessionId,
  checkUserId,
  type MfaChangeTarget,
  normalizeEmail,
  normalizePhoneNumber,
} from './input.js'
export {
  type DelegationKey,
  type DelegationKeyInput,
  type DelegationKeyUse,
  importDelegationKey,
  importDelegationKeys,
} from './keys.js'
export { isUnsafeX25519 } from './low-order.js'
export {
  CONTENT_ENCRYPTION_ALGORITHM,
  DELEGATION_CONTENT_TYPE,
  DELEGATION_PATHS,
  type DelegationOperation,
  IDENTIFIER,
  isMfaMethod,
  KEY_MANAGEMENT_ALGORITHM,
  MAX_MESSAGE_BYTES,
  MfaMethod,
  OTP_PATTERN,
  REQUEST_TYPE,
  RESPONSE_TYPE,
  randomIdentifier,
  SIGNATURE_ALGORITHM,
} from './protocol.js'
export { openResponse, type ResponseContext } from './response.js'
export type { MfaChangeSession, UserCredentials } from './results.js'
export type { DelegationHttpOptions, RawAnswer } from './transport.js'
