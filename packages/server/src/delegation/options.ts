import type { DelegationKeyInput, MfaMethod } from '@org/auth-core/delegation'
import type { TotpAlgorithm } from '../totp.js'
import type { ReplayStore } from './replay.js'
import type { DelegationStore } from './store.js'

/** A service provider allowed to manage its users' MFA. */
export interface RegisteredProvider {
  /** Its id: the `iss` of its requests, the `aud` of the answers. */
  id: string
  /** Its Ed25519 public key(s) (SPKI PEM or JWK); several during a rotation. Only these are trusted. */
  signingKeys: DelegationKeyInput | readonly DelegationKeyInput[]
  /** Its X25519 public key (SPKI PEM or JWK): answers are encrypted to it. */
  encryptionKey: DelegationKeyInput
}

/** One code to deliver. `code` is a secret: a sender passes it on and never logs it. */
export interface OtpMessage {
  method: typeof MfaMethod.Email | typeof MfaMethod.Sms
  /** The email address or E.164 phone number, as validated. */
  to: string
  code: string
  userId: string
  spId: string
  expiresAt: Date
}

/** Delivers a code (an email, an SMS). A rejection is answered `delivery_failed` and the session dropped. */
export type OtpSender = (message: OtpMessage) => Promise<void>

/** Something worth logging. Never carries a code, a key, a TOTP secret or a message body. */
export type DelegationEvent =
  | { type: 'refused'; code: string; error: string; spId?: string; operation?: string }
  | { type: 'mfa_change_started'; spId: string; userId: string; method: MfaMethod }
  | { type: 'mfa_changed'; spId: string; userId: string; method: MfaMethod }
  | { type: 'failure'; code: string; spId?: string; operation?: string; error: unknown }

export interface DelegationServiceOptions {
  /**
   * The public URL clients use as `baseUrl`, e.g. `https://idp.example.com/delegation`: requests
   * must name it as `aud` and their `htu` must start with it; answers carry it as `iss`. The service
   * serves `<path of baseUrl>/v1/...` and matches paths by that suffix, so it can be mounted
   * anywhere. https, except on loopback. Required.
   */
  baseUrl: string
  /** This identity provider's keys. Required. */
  keys: {
    /** Ed25519 private key (PKCS#8 PEM or JWK) that signs every answer. */
    signingKey: DelegationKeyInput
    /** X25519 private key(s) requests are encrypted to; several during a rotation (picked by `kid`). */
    encryptionKeys: DelegationKeyInput | readonly DelegationKeyInput[]
  }
  /** The service providers allowed to call, with their pinned public keys. Required, non-empty. */
  registeredProviders: readonly RegisteredProvider[]
  /** Users' MFA state and pending changes. Default: `createMemoryDelegationStore()`. */
  store?: DelegationStore
  /** Request ids seen, kept until they expire. Default: `createMemoryReplayStore()`. */
  replayStore?: ReplayStore
  /** Code delivery per method. A method without a sender is answered `method_unsupported`. Default: none. */
  senders?: { email?: OtpSender; sms?: OtpSender }
  /**
   * TOTP enrolment, or `false` to refuse it. Default: enabled, SHA1, 30 s steps, ±1 step, with the
   * host name of `baseUrl` (without its port) as issuer.
   */
  totp?:
    | false
    | {
        /**
         * Name authenticator apps show; 1–100 characters without ":". Default: the host name of
         * `baseUrl`, without its port (an IPv6 literal's colons become dashes).
         */
        issuer?: string
        /** Default: `'SHA1'` (what authenticator apps support everywhere). */
        algorithm?: TotpAlgorithm
        /** Time step in seconds. Default: 30. */
        period?: number
        /** Steps accepted either side of now, for clock drift. Default: 1. */
        window?: number
      }
  /** Seconds a pending change (and its code) stays valid. Default: 600. */
  sessionTtl?: number
  /** Wrong codes accepted per pending change; the next one closes it. Default: 5. */
  maxAttempts?: number
  /** Clock skew tolerated on requests' `iat`/`exp`, in seconds. Default: 30. */
  leeway?: number
  /** Longest request lifetime (`exp - iat`) accepted, in seconds. Default: 300. */
  maxRequestLifetime?: number
  /** Called for refusals, changes and internal failures; for logs and metrics. Default: none. */
  onEvent?: (event: DelegationEvent) => void
  /** Current time in milliseconds (tests freeze it). Default: `Date.now`. */
  now?: () => number
}
