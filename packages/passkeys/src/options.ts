import type { OneTimeStore } from '@org/auth-core'
import type { CredentialStore } from './credential-store.js'

/** A user as the ceremonies need them. `id` is the stable application id, at most 64 bytes of UTF-8. */
export interface PasskeyUser {
  /** The application's user id; becomes the WebAuthn user handle. Must not be an email address or other PII. */
  id: string
  /** Shown by the browser's passkey UI (an email or username). */
  name: string
  /** Shown by the browser's passkey UI. Default: `name`. */
  displayName?: string
}

/**
 * Debug and warning output. `console` fits; so does any logger with these methods. Fields carry
 * the ceremony, the user id, the credential id and the error code: never a challenge, a key, a
 * signature or a transaction text.
 */
export interface PasskeyLogger {
  debug?(message: string, fields: Record<string, unknown>): void
  info?(message: string, fields: Record<string, unknown>): void
  warn?(message: string, fields: Record<string, unknown>): void
}

export type UserVerification = 'required' | 'preferred' | 'discouraged'

export interface PasskeysOptions {
  /** The relying party id: the site's registrable domain or a host under it (`example.com`), no scheme or port. */
  rpId: string
  /** The name the browser shows for the site. */
  rpName: string
  /** Page origins ceremonies may run on (`https://example.com`, `http://localhost:3000`). */
  origins: string | readonly string[]
  /** Where credentials live (`MemoryCredentialStore`, `PostgresCredentialStore`). */
  credentials: CredentialStore
  /**
   * Records challenges as issued and used (single use, expiry). Share one across instances (the
   * Redis or PostgreSQL `OneTimeStore`). Default: a `MemoryOneTimeStore` (one instance only).
   */
  challenges?: OneTimeStore
  /**
   * Whether the authenticator must verify the user (PIN, biometrics). `'required'` refuses
   * assertions and registrations without the UV flag; the others ask for it without requiring it.
   * Transactions always require it. Default: `'required'`.
   */
  userVerification?: UserVerification
  /**
   * The attestation asked for at registration: `'none'` (privacy-preserving; providers still report
   * their AAGUID) or `'direct'` (an attestation statement, verified when present). Default: `'none'`.
   */
  attestation?: 'none' | 'direct'
  /** Milliseconds a ceremony may take; also each challenge's lifetime. Default: 300,000 (5 minutes). */
  timeout?: number
  /** Most credentials one user may register. Default: 50. */
  maxCredentialsPerUser?: number
  /** Longest transaction text, in UTF-8 bytes. Default: 1,000. */
  maxTextBytes?: number
  /** AAGUID → provider name entries added to (or overriding) the bundled partial map. */
  providerNames?: Readonly<Record<string, string>>
  /** Debug logging (see `PasskeyLogger`). Default: none. */
  logger?: PasskeyLogger
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
  /**
   * Source of challenge nonces, for tests replaying recorded ceremonies. Default:
   * `crypto.getRandomValues`. A source that repeats a nonce makes issuing fail, never reuse it.
   */
  random?: (length: number) => Uint8Array
}
