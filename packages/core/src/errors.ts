/**
 * The one error family of the toolkit. Every failure carries a stable `code` that callers and
 * tests branch on (messages may change), an HTTP `status`, and, for bearer-token failures, the
 * RFC 6750 `error` value that goes into `WWW-Authenticate`.
 *
 * Messages are written for developers and never contain tokens, secrets, codes or key material.
 */

/** RFC 6750 §3.1 error codes, plus RFC 6749 §5.2 codes used by token endpoints. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

export interface AuthErrorOptions {
  /** The underlying error (a jose error, a network failure). Kept for debugging, never sent to clients. */
  cause?: unknown
  /** Overrides the subclass's default HTTP status. */
  status?: number
}

const AUTH_ERROR = Symbol.for('@org/auth-core/AuthError')
/**
 * The identity of a class of the family (`@org/auth-core/JWTExpiredError`), on its prototype:
 * what `instanceof` compares when the instance comes from another copy of this package (the
 * CommonJS build loaded beside the ESM one, a duplicate install), where the classes differ.
 * `@org/auth-server` names its own subclass under the same key.
 */
const ERROR_CLASS = Symbol.for('@org/auth-core/AuthError.class')
// `stackTraceLimit` is a V8/JSC extension; elsewhere it is undefined and left alone.
const V8Error = Error as ErrorConstructor & { stackTraceLimit?: number }
const OAUTH_ERROR_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/
/** True for a value RFC 6749 allows as an `error` code (bounded): safe to echo in a message. */
export function isOAuthErrorValue(value: string): boolean {
  return OAUTH_ERROR_VALUE.test(value)
}
const OAUTH_DESCRIPTION_VALUE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{0,300}$/

/**
 * Gives a class of the family its `name` (a literal: minifying bundlers, such as Next's server
 * build, rename classes, and `constructor.name` would print `r: The token has expired`) and its
 * cross-copy identity. Called in each class's static block.
 */
export function nameErrorClass(
  cls: { readonly prototype: AuthError },
  name: string,
  pkg = '@org/auth-core',
): void {
  const configurable = { writable: true, configurable: true, enumerable: false }
  Object.defineProperty(cls.prototype, 'name', { value: name, ...configurable })
  Object.defineProperty(cls.prototype, ERROR_CLASS, { value: `${pkg}/${name}`, enumerable: false })
}

export class AuthError extends Error {
  static {
    nameErrorClass(AuthError, 'AuthError')
  }

  /** Stable, machine-readable identifier, e.g. `ERR_JWT_EXPIRED`. */
  readonly code: string
  /** HTTP status an adapter answers with. */
  readonly status: number
  /** RFC 6750 / RFC 6749 error code, when the failure maps to one. */
  readonly oauthError: OAuthErrorCode | undefined

  /**
   * Whether instances capture a stack trace. Failures caused by the client's request (no token, a
   * bad token, a missing scope) say nothing a stack would explain, and capturing one is the
   * largest cost of refusing a request; configuration errors keep theirs.
   */
  static captureStack = true

  constructor(
    code: string,
    message: string,
    status: number,
    oauthError?: OAuthErrorCode,
    options?: AuthErrorOptions,
  ) {
    const limit = V8Error.stackTraceLimit
    if (!new.target.captureStack && limit !== undefined) V8Error.stackTraceLimit = 0
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    if (limit !== undefined) V8Error.stackTraceLimit = limit
    // The literal of the family's classes; an application's own subclass keeps its class name.
    this.name = Object.hasOwn(new.target.prototype, ERROR_CLASS) ? new.target.prototype.name : new.target.name
    this.code = code
    this.status = options?.status ?? status
    this.oauthError = oauthError
    // A tag that survives duplicate installs of this package, where `instanceof` does not.
    Object.defineProperty(this, AUTH_ERROR, { value: true })
  }

  /**
   * `error instanceof JWTExpiredError` also holds for an error made by another copy of this
   * package: an `AuthError` (by its tag) whose prototype chain has a class of the same identity.
   * An application's subclass without an identity keeps the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof`: AuthError or any subclass.
    // biome-ignore lint/complexity/noThisInStatic: the subclass, not AuthError
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    if (!isAuthError(value)) return false
    // biome-ignore lint/complexity/noThisInStatic: the subclass, not AuthError
    const prototype = this.prototype as unknown as Record<symbol, unknown>
    if (!Object.hasOwn(prototype, ERROR_CLASS)) return false
    const identity = prototype[ERROR_CLASS]
    for (
      let link: object | null = Object.getPrototypeOf(value);
      link !== null;
      link = Object.getPrototypeOf(link)
    ) {
      if (Object.hasOwn(link, ERROR_CLASS) && (link as Record<symbol, unknown>)[ERROR_CLASS] === identity)
        return true
    }
    return false
  }
}

/** True for any error of this family, even one thrown by another installed copy of the package. */
export function isAuthError(value: unknown): value is AuthError {
  return (
    typeof value === 'object' && value !== null && (value as { [AUTH_ERROR]?: unknown })[AUTH_ERROR] === true
  )
}

/**
 * An option passed to a factory is missing or invalid: `ERR_INVALID_OPTION`, or a more precise
 * code an adapter gives (`ERR_LOGIN_NOT_CONFIGURED`). Thrown at start-up, or on first use for a
 * configuration created lazily; never because of a request's content.
 */
export class ConfigurationError extends AuthError {
  static {
    nameErrorClass(ConfigurationError, 'ConfigurationError')
  }
  constructor(message: string, options?: AuthErrorOptions & { code?: string }) {
    super(options?.code ?? 'ERR_INVALID_OPTION', message, 500, undefined, options)
  }
}

/** The request carries no bearer token at all (RFC 6750 §3.1: no error code in the challenge). */
export class MissingTokenError extends AuthError {
  static {
    nameErrorClass(MissingTokenError, 'MissingTokenError')
  }
  static override captureStack = false
  constructor() {
    super('ERR_BEARER_MISSING', 'A bearer token is required', 401)
  }
}

/** The Authorization header is present but is not a well-formed `Bearer <token>`. */
export class MalformedAuthorizationError extends AuthError {
  static {
    nameErrorClass(MalformedAuthorizationError, 'MalformedAuthorizationError')
  }
  static override captureStack = false
  constructor(message: string) {
    super('ERR_BEARER_MALFORMED', message, 400, 'invalid_request')
  }
}

/** The token failed verification: format, signature, algorithm or claims. Always 401 `invalid_token`. */
export class JWTVerificationError extends AuthError {
  static {
    nameErrorClass(JWTVerificationError, 'JWTVerificationError')
  }
  static override captureStack = false
  constructor(code: string, message: string, options?: AuthErrorOptions) {
    super(code, message, 401, 'invalid_token', options)
  }
}

/** The token's `exp` has passed (leeway included). */
export class JWTExpiredError extends JWTVerificationError {
  static {
    nameErrorClass(JWTExpiredError, 'JWTExpiredError')
  }
  constructor(options?: AuthErrorOptions) {
    super('ERR_JWT_EXPIRED', 'The token has expired', options)
  }
}

/** A claim is missing or has a value the verifier does not accept. `claim` names it. */
export class JWTClaimValidationError extends JWTVerificationError {
  static {
    nameErrorClass(JWTClaimValidationError, 'JWTClaimValidationError')
  }
  readonly claim: string
  constructor(code: string, claim: string, message: string) {
    super(code, message)
    this.claim = claim
  }
}

/** The token is valid but lacks a scope the route requires. */
export class InsufficientScopeError extends AuthError {
  static {
    nameErrorClass(InsufficientScopeError, 'InsufficientScopeError')
  }
  static override captureStack = false
  /** The scopes the route requires, for the `scope` attribute of the challenge. */
  readonly requiredScopes: readonly string[]
  constructor(requiredScopes: readonly string[]) {
    super('ERR_INSUFFICIENT_SCOPE', 'The token lacks a required scope', 403, 'insufficient_scope')
    this.requiredScopes = requiredScopes
  }
}

/**
 * The token (or session) is valid but its authentication is too weak or too old for the route
 * (RFC 9470): 401 `insufficient_user_authentication`, with the `acr_values` and `max_age` the
 * client must ask the authorization server for.
 */
export class InsufficientUserAuthenticationError extends AuthError {
  static {
    nameErrorClass(InsufficientUserAuthenticationError, 'InsufficientUserAuthenticationError')
  }
  static override captureStack = false
  /** Authentication context classes the route accepts (`acr_values` of the challenge). */
  readonly acrValues: readonly string[] | undefined
  /** Longest time since the user authenticated, in seconds (`max_age` of the challenge). */
  readonly maxAge: number | undefined
  constructor(message: string, requirement: { acrValues?: readonly string[]; maxAge?: number }) {
    super('ERR_INSUFFICIENT_USER_AUTHENTICATION', message, 401, 'insufficient_user_authentication')
    this.acrValues = requirement.acrValues
    this.maxAge = requirement.maxAge
  }
}

/** A configured public key (PEM, JWK, file) is malformed, private, symmetric or unsupported. */
export class InvalidPublicKeyError extends AuthError {
  static {
    nameErrorClass(InvalidPublicKeyError, 'InvalidPublicKeyError')
  }
  constructor(message: string, options?: AuthErrorOptions) {
    super('ERR_INVALID_PUBLIC_KEY', message, 500, undefined, options)
  }
}

/**
 * No verification key can be had right now: the JWKS or discovery endpoint failed and no
 * usable cached keys remain. Adapters answer 503 with `Retry-After`.
 */
export class KeysUnavailableError extends AuthError {
  static {
    nameErrorClass(KeysUnavailableError, 'KeysUnavailableError')
  }
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number
  constructor(code: string, message: string, retryAfter: number, options?: AuthErrorOptions) {
    super(code, message, 503, 'temporarily_unavailable', options)
    this.retryAfter = retryAfter
  }
}

/**
 * A verifier's revocation check (`revocation.isRevoked`) threw, rejected or answered something
 * other than a boolean: `ERR_REVOCATION_UNAVAILABLE`, 503 with `Retry-After`. The token is
 * refused (fail closed) but not called invalid: it may well be good once the store answers again.
 * The hook's error is the `cause`, for logs; clients get a generic text.
 */
export class RevocationUnavailableError extends AuthError {
  static {
    nameErrorClass(RevocationUnavailableError, 'RevocationUnavailableError')
  }
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number
  constructor(message: string, options?: AuthErrorOptions) {
    super('ERR_REVOCATION_UNAVAILABLE', message, 503, 'temporarily_unavailable', options)
    this.retryAfter = 5
  }
}

/** A back-channel HTTP call (JWKS, discovery, token endpoint) answered something unusable. */
export class RemoteResponseError extends AuthError {
  static {
    nameErrorClass(RemoteResponseError, 'RemoteResponseError')
  }
  constructor(code: string, message: string, options?: AuthErrorOptions) {
    super(code, message, 502, undefined, options)
  }
}

/**
 * The authorization server refused a request: a code exchange or any other grant at the token
 * endpoint, or a PAR, device-authorization, MFA, revocation or introspection call. `error` is the
 * RFC 6749 §5.2 code it answered with; the raw body is never kept.
 */
export class OAuthExchangeError extends AuthError {
  static {
    nameErrorClass(OAuthExchangeError, 'OAuthExchangeError')
  }
  readonly error: string
  readonly errorDescription: string | undefined
  constructor(error: string, errorDescription?: string, options?: AuthErrorOptions & { code?: string }) {
    // The values come from a remote server: keep only RFC 6749 §5.2 characters, bounded.
    const safeError = OAUTH_ERROR_VALUE.test(error) ? error : 'invalid_response'
    super(
      options?.code ?? 'ERR_OAUTH_EXCHANGE',
      `The authorization server answered "${safeError}"`,
      400,
      undefined,
      options,
    )
    this.error = safeError
    this.errorDescription =
      errorDescription !== undefined && OAUTH_DESCRIPTION_VALUE.test(errorDescription)
        ? errorDescription
        : undefined
  }
}

/**
 * An exchange that failed without an OAuth error: the token endpoint answered HTML, a 5xx or a
 * redirect, timed out, or sent no ID token. `error` is `invalid_response`; `code`, `message` and
 * `cause` are those of the underlying failure (`ERR_HTTP_STATUS`, `ERR_ID_TOKEN_MISSING`...); 502.
 * An `OAuthExchangeError`, so a caller catching the seed's three classes catches it.
 */
export class UnusableExchangeResponseError extends OAuthExchangeError {
  static {
    nameErrorClass(UnusableExchangeResponseError, 'UnusableExchangeResponseError')
  }
  constructor(cause: AuthError) {
    super('invalid_response', undefined, { cause, code: cause.code, status: 502 })
    this.message = cause.message
  }
}

/**
 * The password grant answered Auth0's `mfa_required`: continue with the password-MFA steps
 * (`mfaAuthenticators`, then an OTP or OOB challenge) using `mfaToken`.
 */
export class MfaRequiredError extends OAuthExchangeError {
  static {
    nameErrorClass(MfaRequiredError, 'MfaRequiredError')
  }
  /** Opaque, short-lived token that authorizes the MFA steps. A secret: never log it. */
  readonly mfaToken: string
  constructor(mfaToken: string, errorDescription?: string) {
    super('mfa_required', errorDescription)
    this.mfaToken = mfaToken
  }
}

/**
 * An authorization response (the redirect back to the client) is unusable: state or `iss`
 * missing or wrong, no code, or the server answered with an `error`. Checked before any token
 * request. `code` names the failure (`ERR_STATE_MISMATCH`, `ERR_AUTHORIZATION_DENIED`...).
 */
export class AuthorizationResponseError extends AuthError {
  static {
    nameErrorClass(AuthorizationResponseError, 'AuthorizationResponseError')
  }
  /** The `error` parameter of the response (RFC 6749 §4.1.2.1), when the server sent one. */
  readonly error: string | undefined
  readonly errorDescription: string | undefined
  constructor(code: string, message: string, error?: string, errorDescription?: string) {
    super(code, message, 400)
    this.error = error !== undefined && OAUTH_ERROR_VALUE.test(error) ? error : undefined
    this.errorDescription =
      errorDescription !== undefined && OAUTH_DESCRIPTION_VALUE.test(errorDescription)
        ? errorDescription
        : undefined
  }
}

/**
 * A web-login route refused the request: no session (`ERR_SESSION_MISSING`, 401), a cross-site
 * request to a state-changing route (`ERR_CROSS_SITE_REQUEST`, 403), a route used with the wrong
 * method (`ERR_METHOD_NOT_ALLOWED`, 405), or a session too large for its cookies
 * (`ERR_SESSION_TOO_LARGE`, 500: configure a session store).
 */
export class SessionError extends AuthError {
  static {
    nameErrorClass(SessionError, 'SessionError')
  }
  static override captureStack = false
  constructor(code: string, message: string, status: number) {
    super(code, message, status)
  }
}
