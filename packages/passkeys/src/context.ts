/**
 * The resolved options every ceremony shares, and the checks common to registration and
 * assertion: purpose, expiry, origin, RP ID hash, user presence and verification. Each check runs
 * on already-bounded, decoded input and ends in a `PasskeyError`.
 */
import { ConfigurationError, MemoryOneTimeStore, type OneTimeStore } from '@org/auth-core'
import type { ParsedAuthenticatorData } from '@simplewebauthn/server/helpers'
import { type ChallengeContents, type ChallengePurpose, readChallenge, sha256 } from './challenge.js'
import type { CredentialStore } from './credential-store.js'
import { PasskeyError } from './errors.js'
import type { PasskeyLogger, PasskeysOptions, UserVerification } from './options.js'
import type { ClientData } from './response.js'

export interface Context {
  rpId: string
  rpName: string
  origins: readonly string[]
  credentials: CredentialStore
  challenges: OneTimeStore
  userVerification: UserVerification
  attestation: 'none' | 'direct'
  timeout: number
  maxCredentialsPerUser: number
  maxTextBytes: number
  providerNames: Readonly<Record<string, string>> | undefined
  logger: PasskeyLogger | undefined
  now: () => number
  random: (length: number) => Uint8Array
  rpIdHash: Promise<Uint8Array>
}

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new ConfigurationError(`"${name}" must be a positive integer`)
  return value
}

export function resolveContext(options: PasskeysOptions): Context {
  const { rpId, rpName } = options
  if (typeof rpId !== 'string' || !/^[a-z0-9.-]{1,253}$/i.test(rpId) || rpId.startsWith('.')) {
    throw new ConfigurationError('"rpId" must be a host name, without scheme or port')
  }
  if (typeof rpName !== 'string' || rpName.length === 0) throw new ConfigurationError('"rpName" is required')
  const origins = typeof options.origins === 'string' ? [options.origins] : [...(options.origins ?? [])]
  if (origins.length === 0) throw new ConfigurationError('"origins" must list at least one origin')
  for (const origin of origins) {
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      throw new ConfigurationError(`"origins" holds an invalid origin`)
    }
    if (parsed.origin !== origin)
      throw new ConfigurationError('"origins" must hold bare origins (scheme://host[:port])')
    // The browser only runs a ceremony where the RP ID is the page's host or a parent of it.
    if (parsed.hostname !== rpId && !parsed.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigurationError(`The origin ${origin} is not on the RP ID ${rpId}`)
    }
  }
  if (options.credentials === undefined)
    throw new ConfigurationError('"credentials" (a CredentialStore) is required')
  const userVerification = options.userVerification ?? 'required'
  if (!['required', 'preferred', 'discouraged'].includes(userVerification)) {
    throw new ConfigurationError('"userVerification" must be "required", "preferred" or "discouraged"')
  }
  const attestation = options.attestation ?? 'none'
  if (attestation !== 'none' && attestation !== 'direct')
    throw new ConfigurationError('"attestation" must be "none" or "direct"')
  return {
    rpId,
    rpName,
    origins,
    credentials: options.credentials,
    challenges:
      options.challenges ?? new MemoryOneTimeStore(options.now === undefined ? {} : { now: options.now }),
    userVerification,
    attestation,
    timeout: positiveInteger(options.timeout, 'timeout', 300_000),
    maxCredentialsPerUser: positiveInteger(options.maxCredentialsPerUser, 'maxCredentialsPerUser', 50),
    maxTextBytes: positiveInteger(options.maxTextBytes, 'maxTextBytes', 1000),
    providerNames: options.providerNames,
    logger: options.logger,
    now: options.now ?? Date.now,
    random: options.random ?? ((length) => crypto.getRandomValues(new Uint8Array(length))),
    rpIdHash: sha256(rpId),
  }
}

export function nowSeconds(context: Context): number {
  return Math.floor(context.now() / 1000)
}

/** Reads the challenge and checks that it is for this ceremony and still alive. */
export function checkChallenge(
  context: Context,
  clientData: ClientData,
  purposes: readonly ChallengePurpose[],
): ChallengeContents {
  const contents = readChallenge(clientData.challenge)
  if (!purposes.includes(contents.purpose)) {
    throw new PasskeyError(
      'ERR_PASSKEY_CHALLENGE_PURPOSE',
      `The challenge was issued for ${contents.purpose}`,
    )
  }
  const now = nowSeconds(context)
  if (contents.expiresAt < now)
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_EXPIRED', 'The challenge has expired')
  // Later than any challenge issued now could expire: not ours (and not a key to keep for centuries).
  if (contents.expiresAt > now + Math.ceil(context.timeout / 1000) + 1) {
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_UNKNOWN', 'The challenge was not issued here')
  }
  return contents
}

/** The checks on client data and authenticator data that do not need the credential. */
export async function checkCeremony(
  context: Context,
  clientData: ClientData,
  authData: ParsedAuthenticatorData,
  type: 'webauthn.create' | 'webauthn.get',
  requireUserVerification: boolean,
): Promise<void> {
  if (clientData.type !== type) throw new PasskeyError('ERR_PASSKEY_TYPE', `The client data is not ${type}`)
  if (clientData.crossOrigin || !context.origins.includes(clientData.origin)) {
    throw new PasskeyError('ERR_PASSKEY_ORIGIN', 'The ceremony ran on an origin that is not allowed')
  }
  const expected = await context.rpIdHash
  let difference = authData.rpIdHash.length ^ expected.length
  for (let i = 0; i < expected.length; i++) difference |= (authData.rpIdHash[i] ?? 0) ^ (expected[i] ?? 0)
  if (difference !== 0)
    throw new PasskeyError('ERR_PASSKEY_RP_ID', 'The authenticator signed for another RP ID')
  if (!authData.flags.up) throw new PasskeyError('ERR_PASSKEY_USER_PRESENCE', 'The user was not present')
  if (requireUserVerification && !authData.flags.uv) {
    throw new PasskeyError('ERR_PASSKEY_USER_VERIFICATION', 'The user was not verified')
  }
}

/** Logs through the injected logger, if any; a throwing logger never fails a ceremony. */
export function log(
  context: Context,
  level: 'debug' | 'info' | 'warn',
  message: string,
  fields: Record<string, unknown>,
): void {
  try {
    context.logger?.[level]?.(message, fields)
  } catch {
    // Logging is best effort.
  }
}
