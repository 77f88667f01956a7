import { ConfigurationError } from '../errors.js'
import { secureUrl } from '../lib/url.js'
import { sealEnvelope } from './envelope.js'
import { checkMfaChangeTarget, checkOtp, checkSessionId, checkUserId, type MfaChangeTarget } from './input.js'
import {
  type DelegationKey,
  type DelegationKeyInput,
  importDelegationKey,
  importDelegationKeys,
} from './keys.js'
import {
  DELEGATION_PATHS,
  type DelegationOperation,
  type MfaMethod,
  REQUEST_TYPE,
  randomIdentifier,
} from './protocol.js'
import { openResponse } from './response.js'
import {
  type MfaChangeSession,
  readMfaChangeSession,
  readUserCredentials,
  type UserCredentials,
} from './results.js'
import { type DelegationHttpOptions, isTransient, postMessage, sleep } from './transport.js'

export interface DelegationClientOptions extends DelegationHttpOptions {
  /** This service provider's Ed25519 private key (PKCS#8 PEM or JWK): signs every request. Required. */
  spSigningKey: DelegationKeyInput
  /** This service provider's X25519 private key (PKCS#8 PEM or JWK): decrypts every answer. Required. */
  spEncryptionKey: DelegationKeyInput
  /**
   * The identity provider's Ed25519 public key(s) (SPKI PEM or JWK): the only keys answers may be
   * signed with. Several during a rotation. Required.
   */
  idpVerifyKey: DelegationKeyInput | readonly DelegationKeyInput[]
  /** The identity provider's X25519 public key (SPKI PEM or JWK): requests are encrypted to it. Required. */
  idpEncryptionKey: DelegationKeyInput
  /**
   * The identity provider's delegation base URL, e.g. `https://idp.example.com/delegation`. It is
   * also the provider's identifier: requests carry it as `aud`, answers must carry it as `iss`.
   * https, except on loopback. Required.
   */
  baseUrl: string
  /** This service provider's id at the identity provider (`iss` of requests, `aud` of answers). Required. */
  spId: string
  /** Extra attempts of `getUserCredentials` after a network failure, timeout or 5xx refusal. Default: 2. */
  retries?: number
  /** Milliseconds before the first retry; doubled for each next one. Default: 250. */
  retryDelay?: number
  /** Seconds a request stays valid (`exp - iat`). Default: 60; at most 300. */
  requestLifetime?: number
  /** Clock skew tolerated on answers' `iat`/`exp`, in seconds. Default: 30. */
  leeway?: number
  /** Current time in milliseconds (tests freeze it). Default: `Date.now`. */
  now?: () => number
}

/** Per-call options. */
export interface CallOptions {
  /** Cancels this call. */
  signal?: AbortSignal
}

export interface InitiateMfaChangeParams extends MfaChangeTarget {
  /** The user whose MFA method changes, as the identity provider knows them. */
  userId: string
}

export interface VerifyMfaChangeParams {
  userId: string
  /** From `initiateMfaChange`. */
  sessionId: string
  /** The six-digit code the user received or their authenticator app shows. */
  otp: string
}

/**
 * The identifier of an identity provider from its base URL, as both ends compute it: the
 * WHATWG-serialised URL without a trailing slash (no query or fragment allowed).
 */
export function delegationBaseUrl(url: URL): string {
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigurationError('"baseUrl" must not have credentials, a query or a fragment')
  }
  return url.href.replace(/\/+$/, '')
}

// Answers live a few seconds; anything longer than this is refused as a replay risk.
const MAX_RESPONSE_LIFETIME = 300

function integerOption(
  value: number | undefined,
  fallback: number,
  option: string,
  range: [number, number],
): number {
  if (value === undefined) return fallback
  const [min, max] = range
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`"${option}" must be an integer from ${min} to ${max}`)
  }
  return value
}

/**
 * Manages users' MFA at an identity provider that speaks the delegation protocol
 * (docs/delegation-protocol.md): every request is signed with this service provider's Ed25519
 * key and encrypted to the provider's X25519 key; every answer must be signed by a pinned
 * provider key, encrypted to this service provider, and bound to the request.
 */
export class DelegationClient {
  readonly #spId: string
  readonly #idpId: string
  readonly #signingKey: DelegationKey
  readonly #decryptionKey: DelegationKey
  readonly #verificationKeys: readonly DelegationKey[]
  readonly #recipientKey: DelegationKey
  readonly #http: DelegationHttpOptions
  readonly #retries: number
  readonly #retryDelay: number
  readonly #lifetime: number
  readonly #leeway: number
  readonly #now: () => number

  private constructor(
    options: DelegationClientOptions,
    idpId: string,
    keys: [DelegationKey, DelegationKey, DelegationKey[], DelegationKey],
  ) {
    ;[this.#signingKey, this.#decryptionKey, this.#verificationKeys, this.#recipientKey] = keys
    this.#spId = options.spId
    this.#idpId = idpId
    const { fetch, timeout, signal, headers } = options
    this.#http = { fetch, timeout, signal, headers }
    this.#retries = integerOption(options.retries, 2, 'retries', [0, 10])
    this.#retryDelay = integerOption(options.retryDelay, 250, 'retryDelay', [0, 60_000])
    this.#lifetime = integerOption(options.requestLifetime, 60, 'requestLifetime', [1, 300])
    this.#leeway = integerOption(options.leeway, 30, 'leeway', [0, 600])
    this.#now = options.now ?? Date.now
  }

  /**
   * Checks the options and imports the four keys, so a wrong key fails here (`ERR_INVALID_PRIVATE_KEY`,
   * `ERR_INVALID_PUBLIC_KEY`, `ERR_INVALID_OPTION`), never at the first call.
   */
  static async fromKeys(options: DelegationClientOptions): Promise<DelegationClient> {
    if (typeof options !== 'object' || options === null) {
      throw new ConfigurationError('DelegationClient.fromKeys() needs an options object')
    }
    const url = secureUrl(options.baseUrl, 'baseUrl')
    if (typeof options.spId !== 'string' || options.spId.length === 0 || options.spId.length > 256) {
      throw new ConfigurationError('"spId" must be a non-empty string of at most 256 characters')
    }
    const keys = await Promise.all([
      importDelegationKey(options.spSigningKey, 'sign', 'spSigningKey'),
      importDelegationKey(options.spEncryptionKey, 'decrypt', 'spEncryptionKey'),
      importDelegationKeys(options.idpVerifyKey, 'verify', 'idpVerifyKey'),
      importDelegationKey(options.idpEncryptionKey, 'encrypt', 'idpEncryptionKey'),
    ])
    return new DelegationClient(options, delegationBaseUrl(url), keys)
  }

  /** Starts an MFA change: the provider sends a code (email, SMS) or returns a TOTP secret to enrol. */
  async initiateMfaChange(params: InitiateMfaChangeParams, options?: CallOptions): Promise<MfaChangeSession> {
    const userId = checkUserId(params?.userId)
    const target = checkMfaChangeTarget(params)
    const result = await this.#call(
      'initiateMfaChange',
      {
        user_id: userId,
        method: target.method,
        ...(target.email === undefined ? {} : { email: target.email }),
        ...(target.phoneNumber === undefined ? {} : { phone_number: target.phoneNumber }),
      },
      options,
    )
    return readMfaChangeSession(result, target.method as MfaMethod)
  }

  /** Completes an MFA change with the code; returns the user's new MFA state. Never retried. */
  async verifyMfaChange(params: VerifyMfaChangeParams, options?: CallOptions): Promise<UserCredentials> {
    const userId = checkUserId(params?.userId)
    const sessionId = checkSessionId(params.sessionId)
    const otp = checkOtp(params.otp)
    const result = await this.#call(
      'verifyMfaChange',
      { user_id: userId, session_id: sessionId, otp },
      options,
    )
    return readUserCredentials(result, userId)
  }

  /**
   * Reads a user's MFA state. A read, so it is retried (`retries`) after a network failure, a
   * timeout or a 5xx refusal, each attempt a new request with a new `jti`.
   */
  async getUserCredentials(userId: string, options?: CallOptions): Promise<UserCredentials> {
    const id = checkUserId(userId)
    for (let attempt = 0; ; attempt++) {
      try {
        return readUserCredentials(await this.#call('getUserCredentials', { user_id: id }, options), id)
      } catch (error) {
        if (attempt >= this.#retries || !isTransient(error)) throw error
        const signals = [options?.signal, this.#http.signal].filter((s): s is AbortSignal => s !== undefined)
        await sleep(
          this.#retryDelay * 2 ** attempt,
          signals.length === 0 ? undefined : AbortSignal.any(signals),
        )
      }
    }
  }

  async #call(
    operation: DelegationOperation,
    params: Record<string, unknown>,
    options: CallOptions | undefined,
  ): Promise<Record<string, unknown>> {
    const url = `${this.#idpId}${DELEGATION_PATHS[operation]}`
    const jti = randomIdentifier()
    const iat = Math.floor(this.#now() / 1000)
    const payload = {
      iss: this.#spId,
      aud: this.#idpId,
      htm: 'POST',
      htu: url,
      iat,
      exp: iat + this.#lifetime,
      jti,
      params,
    }
    const body = await sealEnvelope(payload, REQUEST_TYPE, this.#signingKey, this.#recipientKey)
    const answer = await postMessage(url, body, this.#http, options?.signal)
    return openResponse(answer, {
      idpId: this.#idpId,
      spId: this.#spId,
      requestJti: jti,
      decryptionKey: this.#decryptionKey,
      verificationKeys: this.#verificationKeys,
      now: Math.floor(this.#now() / 1000),
      leeway: this.#leeway,
      maxLifetime: MAX_RESPONSE_LIFETIME,
    })
  }
}
