/**
 * A verifier's DPoP settings (its `dpop` option), checked once when the verifier is created, and
 * what the bearer path needs from them: the mode, the proof check, and the challenges to send.
 */
import { ConfigurationError, MissingTokenError } from '../errors.js'
import type { AuthScheme, ErrorChallenge } from '../http/challenge.js'
import { type SignatureAlgorithm, SUPPORTED_ALGORITHMS } from '../keys/algorithms.js'
import { MemoryOneTimeStore, type OneTimeStore } from '../web/one-time-store.js'
import type { DpopNonceSource } from './nonce.js'
import { DEFAULT_DPOP_ALGORITHMS, type VerifiedDpopProof, verifyDpopProof } from './proof-verify.js'

export { DEFAULT_DPOP_ALGORITHMS }

/**
 * - `'allowed'`: `Bearer` tokens and DPoP-bound tokens (scheme `DPoP` with a proof) both pass;
 * - `'required'`: only DPoP-bound tokens with a proof;
 * - `'disabled'`: the `DPoP` scheme is refused like any unknown scheme.
 * In every mode a DPoP-bound token (`cnf.jkt`) presented as `Bearer` is refused.
 */
export type DpopMode = 'allowed' | 'required' | 'disabled'

export interface DpopOptions {
  /** Default: `'allowed'`. */
  mode?: DpopMode
  /** Accepted proof algorithms (any of `SUPPORTED_ALGORITHMS`). Default: {@link DEFAULT_DPOP_ALGORITHMS}. */
  algorithms?: readonly SignatureAlgorithm[]
  /** Oldest proof accepted, in seconds from its `iat` (1–600). Default: 60. */
  maxAgeSeconds?: number
  /** Clock difference tolerated on `iat`, both ways, in seconds (0–300). Default: 5. */
  clockSkewSeconds?: number
  /**
   * Where used proof `jti`s are recorded (keys scoped by proof key and URL, kept until the proof
   * would be too old anyway). Share one store (Redis, PostgreSQL) between instances: with a
   * memory store, a proof replayed to another instance passes. Default: a `MemoryOneTimeStore`
   * per verifier.
   */
  replay?: OneTimeStore
  /** Require a server nonce in every proof (`createDpopNonceSource()`). Default: none. */
  nonce?: DpopNonceSource
  /** Longest `DPoP` header accepted, checked before parsing (256–65536). Default: 8192 characters. */
  maxProofLength?: number
}

/** The request data a proof is checked against. */
export interface DpopRequest {
  method: string
  url: string | URL
  accessToken: string
  jkt: string
}

/** A verifier's resolved DPoP settings (`verifier.dpop`). */
export interface DpopPolicy {
  readonly mode: DpopMode
  readonly algorithms: readonly SignatureAlgorithm[]
  /** Checks the proof of a request carrying a DPoP-bound token. */
  verifyProof(proof: string, request: DpopRequest): Promise<VerifiedDpopProof>
  /** The challenge of a refusal for a request that used `scheme` (`undefined`: plain `Bearer`). */
  challenge(scheme: AuthScheme): ErrorChallenge | undefined
  /** The shared (frozen) "no token" error, carrying this policy's challenges. */
  readonly missingToken: MissingTokenError
}

const MODES = new Set<unknown>(['allowed', 'required', 'disabled'])
const KNOWN = new Set([
  'mode',
  'algorithms',
  'maxAgeSeconds',
  'clockSkewSeconds',
  'replay',
  'nonce',
  'maxProofLength',
])

function wholeNumber(value: unknown, name: string, min: number, max: number): void {
  if (
    value !== undefined &&
    !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)
  )
    throw new ConfigurationError(`"dpop.${name}" must be a whole number from ${min} to ${max}`)
}

/** Resolves and checks `dpop` options; thrown errors name the option. */
export function createDpopPolicy(options: DpopOptions = {}): DpopPolicy {
  if (typeof options !== 'object' || options === null)
    throw new ConfigurationError('"dpop" must be an object')
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw new ConfigurationError(`Unknown option "dpop.${key}"`)
  const mode = options.mode ?? 'allowed'
  if (!MODES.has(mode))
    throw new ConfigurationError('"dpop.mode" must be "allowed", "required" or "disabled"')
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGORITHMS
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((a) => SUPPORTED_ALGORITHMS.includes(a))
  )
    throw new ConfigurationError(
      `"dpop.algorithms" must be a non-empty list of ${SUPPORTED_ALGORITHMS.join(', ')}`,
    )
  wholeNumber(options.maxAgeSeconds, 'maxAgeSeconds', 1, 600)
  wholeNumber(options.clockSkewSeconds, 'clockSkewSeconds', 0, 300)
  wholeNumber(options.maxProofLength, 'maxProofLength', 256, 65536)
  const replay = options.replay ?? new MemoryOneTimeStore()
  if (typeof replay?.consume !== 'function')
    throw new ConfigurationError('"dpop.replay" must be a OneTimeStore')
  const nonce = options.nonce
  if (nonce !== undefined && (typeof nonce?.current !== 'function' || typeof nonce.check !== 'function'))
    throw new ConfigurationError('"dpop.nonce" must be { current(), check(nonce) }')
  const frozenAlgorithms = Object.freeze([...algorithms])
  const settings = {
    algorithms: frozenAlgorithms,
    maxAgeSeconds: options.maxAgeSeconds ?? 60,
    clockSkewSeconds: options.clockSkewSeconds ?? 5,
    maxProofLength: options.maxProofLength ?? 8192,
    replay,
    nonce,
  }

  const offered: readonly AuthScheme[] = Object.freeze(
    mode === 'allowed' ? ['Bearer', 'DPoP'] : mode === 'required' ? ['DPoP'] : ['Bearer'],
  )
  const challenges = new Map<AuthScheme, ErrorChallenge | undefined>()
  for (const scheme of ['Bearer', 'DPoP'] as const) {
    challenges.set(
      scheme,
      mode === 'disabled'
        ? undefined
        : Object.freeze({
            schemes: offered,
            // A scheme the resource does not offer (Bearer where DPoP is required) gets no
            // challenge of its own: the error goes on the one it does offer.
            errorScheme: offered.includes(scheme) ? scheme : 'DPoP',
            dpopAlgs: frozenAlgorithms,
          }),
    )
  }
  const missingToken = new MissingTokenError()
  const missingChallenge = challenges.get('DPoP')
  if (missingChallenge !== undefined)
    Object.defineProperty(missingToken, 'authChallenge', { value: missingChallenge })
  Object.freeze(missingToken)

  return Object.freeze({
    mode,
    algorithms: frozenAlgorithms,
    verifyProof: (proof: string, request: DpopRequest) =>
      verifyDpopProof(proof, {
        ...settings,
        method: request.method,
        url: request.url,
        accessToken: request.accessToken,
        jkt: request.jkt,
      }),
    challenge: (scheme: AuthScheme) => challenges.get(scheme),
    missingToken,
  })
}
