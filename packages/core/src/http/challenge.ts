/**
 * The `WWW-Authenticate` value of a refusal, built in one place from a parameter object: RFC 6750
 * §3 (`Bearer`) and RFC 9449 §7.1 (`DPoP`), with RFC 9728 `resource_metadata` and RFC 9470
 * `acr_values` / `max_age`; a new attribute is a new field of {@link ChallengeParams}.
 */

/** An HTTP authentication scheme a protected resource offers. */
export type AuthScheme = 'Bearer' | 'DPoP'

export interface ChallengeParams {
  /** The schemes offered, one challenge each, in this order. Default: `['Bearer']`. */
  schemes?: readonly AuthScheme[]
  /**
   * The scheme whose challenge carries `error`, `error_description` and `scope`: the one the
   * request used. Default: the first of `schemes`.
   */
  errorScheme?: AuthScheme
  /** `realm` (RFC 6750 §3), on every challenge. Default: none. */
  realm?: string
  /** RFC 9728 §5.1 `resource_metadata`: the protected resource metadata URL, on every challenge. */
  resourceMetadata?: string
  /** The `error` code (`invalid_token`, `invalid_dpop_proof`...). Default: none (a bare challenge). */
  error?: string
  /** Human-readable `error_description`; characters outside RFC 6750's set are dropped. */
  errorDescription?: string
  /** `scope` of an `insufficient_scope` refusal. */
  scope?: readonly string[]
  /** RFC 9470 §3 `acr_values` of an `insufficient_user_authentication` refusal. */
  acrValues?: readonly string[]
  /** RFC 9470 §3 `max_age` (seconds) of an `insufficient_user_authentication` refusal. */
  maxAge?: number
  /** RFC 9449 §7.1 `algs` of the `DPoP` challenge: the proof algorithms accepted. Default: none. */
  dpopAlgs?: readonly string[]
}

/**
 * What an error carries (duck-typed, as `authChallenge`) when its challenge is not the plain
 * `Bearer` one: set by the core's authentication for DPoP-aware verifiers. `dpopNonce` becomes
 * the `DPoP-Nonce` response header.
 */
export interface ErrorChallenge {
  readonly schemes: readonly AuthScheme[]
  readonly errorScheme: AuthScheme
  readonly dpopAlgs?: readonly string[]
  readonly dpopNonce?: string
}

// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E (no `"` or `\`).
const UNSAFE_ATTRIBUTE_CHARS = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

function quoted(value: string): string {
  return `"${value.replace(UNSAFE_ATTRIBUTE_CHARS, '')}"`
}

/** The `WWW-Authenticate` header value: one challenge per scheme, comma-separated (RFC 9110 §11.6.1). */
export function buildWwwAuthenticate(params: ChallengeParams): string {
  const schemes = params.schemes ?? ['Bearer']
  const errorScheme = params.errorScheme ?? schemes[0]
  const challenges: string[] = []
  for (const scheme of schemes) {
    const attributes: string[] = []
    if (params.realm !== undefined) attributes.push(`realm=${quoted(params.realm)}`)
    if (params.resourceMetadata !== undefined)
      attributes.push(`resource_metadata=${quoted(params.resourceMetadata)}`)
    if (scheme === errorScheme) {
      if (params.error !== undefined) {
        attributes.push(`error=${quoted(params.error)}`)
        if (params.errorDescription !== undefined)
          attributes.push(`error_description=${quoted(params.errorDescription)}`)
      }
      if (params.scope !== undefined) attributes.push(`scope=${quoted(params.scope.join(' '))}`)
      if (params.acrValues !== undefined) attributes.push(`acr_values=${quoted(params.acrValues.join(' '))}`)
      if (params.maxAge !== undefined) attributes.push(`max_age=${quoted(String(params.maxAge))}`)
    }
    if (scheme === 'DPoP' && params.dpopAlgs !== undefined && params.dpopAlgs.length > 0)
      attributes.push(`algs=${quoted(params.dpopAlgs.join(' '))}`)
    challenges.push(attributes.length === 0 ? scheme : `${scheme} ${attributes.join(', ')}`)
  }
  return challenges.join(', ')
}

/**
 * Gives `error` a challenge other than the plain `Bearer` one, as a non-enumerable
 * `authChallenge` property. A frozen (shared) error keeps its own.
 */
export function withChallenge<E extends object>(error: E, challenge: ErrorChallenge): E {
  if (!Object.isFrozen(error) && !Object.hasOwn(error, 'authChallenge')) {
    Object.defineProperty(error, 'authChallenge', { value: challenge, configurable: true })
  }
  return error
}
