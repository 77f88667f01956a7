import { AuthError, type AuthErrorOptions } from '@org/auth-core'

/**
 * Every way a passkey ceremony or a credential operation can be refused. Callers and tests branch
 * on these; messages may change. None of them is a server fault: each is caused by the request
 * (or by a lost race), so adapters answer with the status and never with a 500.
 */
export type PasskeyErrorCode =
  /** The response is not the JSON of a `PublicKeyCredential` (shape, base64url, JSON, CBOR). 400. */
  | 'ERR_PASSKEY_MALFORMED'
  /** A field of the response, or the whole response, exceeds its size limit. 413. */
  | 'ERR_PASSKEY_TOO_LARGE'
  /** `id` and `rawId` name different credentials. 400. */
  | 'ERR_PASSKEY_ID_MISMATCH'
  /** `clientDataJSON.type` is not the ceremony's (`webauthn.create` / `webauthn.get`). 400. */
  | 'ERR_PASSKEY_TYPE'
  /** The challenge was not issued by this relying party (or its record is gone). 400. */
  | 'ERR_PASSKEY_CHALLENGE_UNKNOWN'
  /** The challenge was already used once. 400. */
  | 'ERR_PASSKEY_CHALLENGE_USED'
  /** The challenge's lifetime (`timeout`) has passed. 400. */
  | 'ERR_PASSKEY_CHALLENGE_EXPIRED'
  /** The challenge was issued for another ceremony (a sign-in challenge answered to a transaction). 400. */
  | 'ERR_PASSKEY_CHALLENGE_PURPOSE'
  /** The challenge was issued to another user than the one verifying, or than the credential's owner. 400. */
  | 'ERR_PASSKEY_CHALLENGE_USER'
  /** `clientDataJSON.origin` is not one of `origins` (or the ceremony ran cross-origin). 400. */
  | 'ERR_PASSKEY_ORIGIN'
  /** The authenticator data's RP ID hash is not SHA-256 of `rpId`. 400. */
  | 'ERR_PASSKEY_RP_ID'
  /** The authenticator did not report user presence (UP=0). 400. */
  | 'ERR_PASSKEY_USER_PRESENCE'
  /** User verification is required and the authenticator did not report it (UV=0). 400. */
  | 'ERR_PASSKEY_USER_VERIFICATION'
  /** The signature counter did not increase: a cloned authenticator, or a replay that lost a race. 400. */
  | 'ERR_PASSKEY_COUNTER'
  /** The signature or the attestation statement does not verify, or the key's algorithm is refused. 400. */
  | 'ERR_PASSKEY_SIGNATURE'
  /** No credential with this id is registered. 400 in a ceremony, 404 in credential management. */
  | 'ERR_PASSKEY_UNKNOWN_CREDENTIAL'
  /** The credential belongs to another user than the one named (`userId`, `userHandle`). 400. */
  | 'ERR_PASSKEY_WRONG_USER'
  /** The credential id is already registered (to this user or another). 409. */
  | 'ERR_PASSKEY_CREDENTIAL_EXISTS'
  /** The user already has `maxCredentialsPerUser` credentials. 409. */
  | 'ERR_PASSKEY_LIMIT'
  /** A transaction text or credential name is empty, too long, or not text. 400. */
  | 'ERR_PASSKEY_INVALID_TEXT'
  /** The `MemoryCredentialStore` holds `maxEntries` credentials. 503. */
  | 'ERR_PASSKEY_STORE_FULL'
  /** Adding or removing a passkey needs a recent sign-in (see `reauthenticateAfter`). */
  | 'ERR_PASSKEY_REAUTHENTICATION_REQUIRED'
  /** Too many sign-in ceremonies from one address in the window (see `rateLimit`). */
  | 'ERR_PASSKEY_RATE_LIMITED'

/** A passkey ceremony or credential operation was refused; `code` says why. */
export class PasskeyError extends AuthError {
  static {
    // As the core names its classes: a literal `name` (minifying bundlers rename classes), and the
    // identity under which AuthError's `instanceof` recognises an instance from another copy.
    const prototype = PasskeyError.prototype
    Object.defineProperty(prototype, 'name', { value: 'PasskeyError', writable: true, configurable: true })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-passkeys/PasskeyError',
    })
  }
  // A refusal caused by the request: a stack trace explains nothing and costs the most.
  static override captureStack = false

  declare readonly code: PasskeyErrorCode

  constructor(
    code: PasskeyErrorCode,
    message: string,
    status = STATUS[code] ?? 400,
    options?: AuthErrorOptions,
  ) {
    super(code, message, status, undefined, options)
  }
}

/**
 * Adding or removing a passkey needs a sign-in at most `maxAge` seconds old: an attacker holding a
 * stolen session cookie must not be able to add a passkey of their own (and keep the account after
 * the session ends) or remove the user's. `login` is where to sign in again (the login route, asking
 * the provider for `max_age`), when the handler knows it.
 */
export class PasskeyReauthenticationError extends PasskeyError {
  static {
    const prototype = PasskeyReauthenticationError.prototype
    Object.defineProperty(prototype, 'name', {
      value: 'PasskeyReauthenticationError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-passkeys/PasskeyReauthenticationError',
    })
  }
  readonly maxAge: number
  readonly login: string | undefined
  constructor(maxAge: number, login?: string) {
    super('ERR_PASSKEY_REAUTHENTICATION_REQUIRED', 'Sign in again to change your passkeys', 401)
    this.maxAge = maxAge
    this.login = login
  }
}

/** Too many sign-in ceremonies from one address: answered 429 with `Retry-After`. */
export class PasskeyRateLimitError extends PasskeyError {
  static {
    const prototype = PasskeyRateLimitError.prototype
    Object.defineProperty(prototype, 'name', {
      value: 'PasskeyRateLimitError',
      writable: true,
      configurable: true,
    })
    Object.defineProperty(prototype, Symbol.for('@org/auth-core/AuthError.class'), {
      value: '@org/auth-passkeys/PasskeyRateLimitError',
    })
  }
  /** Seconds until the address's window ends. */
  readonly retryAfter: number
  constructor(retryAfter: number) {
    super('ERR_PASSKEY_RATE_LIMITED', 'Too many passkey sign-in attempts; try again later', 429)
    this.retryAfter = retryAfter
  }
}

const STATUS: Partial<Record<PasskeyErrorCode, number>> = {
  ERR_PASSKEY_TOO_LARGE: 413,
  ERR_PASSKEY_CREDENTIAL_EXISTS: 409,
  ERR_PASSKEY_LIMIT: 409,
  ERR_PASSKEY_STORE_FULL: 503,
}
