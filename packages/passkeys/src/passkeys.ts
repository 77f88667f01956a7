/**
 * `createPasskeys`: a WebAuthn relying party in process. @simplewebauthn/server verifies
 * signatures and attestation statements; this module owns what it leaves to applications:
 * bounded input, challenges (single use, expiring, bound to a user or a text), the credential
 * records, and one typed error per refusal.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server'
import { isoBase64URL } from '@simplewebauthn/server/helpers'
import { providerName } from './aaguid.js'
import { consumeChallenge, issueChallenge, isUserHash } from './challenge.js'
import { type Context, checkCeremony, checkChallenge, log, nowSeconds, resolveContext } from './context.js'
import type { PasskeyCredential } from './credential-store.js'
import { PasskeyError } from './errors.js'
import {
  createManagement,
  type PasskeyCredentialInfo,
  type PasskeyManagement,
  publicView,
} from './management.js'
import type { PasskeysOptions, PasskeyUser } from './options.js'
import { parseRegistration } from './response.js'
import { type AssertionResult, verifyAssertion } from './verify-assertion.js'

export interface TransactionResult extends AssertionResult {
  /** The text the user approved, exactly as passed to `transactionOptions`. */
  text: string
}

export interface Passkeys extends PasskeyManagement {
  /** The relying party id, as configured. */
  readonly rpId: string
  /** The allowed page origins, as configured. */
  readonly origins: readonly string[]
  /** Options for `navigator.credentials.create()` (`startRegistration` of @simplewebauthn/browser). */
  registrationOptions(user: PasskeyUser): Promise<PublicKeyCredentialCreationOptionsJSON>
  /** Verifies a registration for `user` and stores the credential. */
  verifyRegistration(
    user: PasskeyUser,
    response: RegistrationResponseJSON | unknown,
  ): Promise<PasskeyCredentialInfo>
  /**
   * Options for `navigator.credentials.get()`. Without `userId`: a usernameless sign-in (empty
   * `allowCredentials`), fit for conditional mediation (autofill). With it: that user's credentials only.
   */
  authenticationOptions(options?: { userId?: string }): Promise<PublicKeyCredentialRequestOptionsJSON>
  /** Verifies a sign-in assertion; answers whose credential it was. */
  verifyAuthentication(response: AuthenticationResponseJSON | unknown): Promise<AssertionResult>
  /** Options for approving `text` ("Pay $5 to Bob?") with one of `user`'s passkeys (user verification required). */
  transactionOptions(
    user: Pick<PasskeyUser, 'id'>,
    text: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON>
  /** Verifies a transaction approval; answers the text that was approved. */
  verifyTransaction(response: AuthenticationResponseJSON | unknown): Promise<TransactionResult>
}

export function createPasskeys(options: PasskeysOptions): Passkeys {
  const context = resolveContext(options)
  const management = createManagement(context)
  return {
    ...management,
    rpId: context.rpId,
    origins: Object.freeze([...context.origins]),
    registrationOptions: async (user) => registrationOptions(context, user),
    verifyRegistration: async (user, response) =>
      logged(context, 'registration', verifyRegistration(context, user, response)),
    authenticationOptions: async (request = {}) =>
      requestOptions(context, 'authentication', request.userId, undefined),
    verifyAuthentication: async (response) =>
      logged(context, 'authentication', verifyAssertion(context, response, 'authentication')),
    transactionOptions: async (user, text) =>
      requestOptions(context, 'transaction', userIdOf(user), checkedText(context, text)),
    verifyTransaction: async (response) =>
      logged(
        context,
        'transaction',
        verifyAssertion(context, response, 'transaction') as Promise<TransactionResult>,
      ),
  }
}

/** Logs a refusal's code (never its input) and rethrows it. */
async function logged<T>(context: Context, ceremony: string, result: Promise<T>): Promise<T> {
  try {
    return await result
  } catch (error) {
    if (error instanceof PasskeyError)
      log(context, 'debug', 'passkey ceremony refused', { ceremony, code: error.code })
    throw error
  }
}

function userIdOf(user: Pick<PasskeyUser, 'id'>): string {
  const id = user?.id
  if (typeof id !== 'string' || id.length === 0 || new TextEncoder().encode(id).length > 64) {
    throw new TypeError('A passkey user id is a non-empty string of at most 64 UTF-8 bytes')
  }
  return id
}

function checkedText(context: Context, text: string): string {
  if (
    typeof text !== 'string' ||
    text.length === 0 ||
    new TextEncoder().encode(text).length > context.maxTextBytes
  ) {
    throw new PasskeyError(
      'ERR_PASSKEY_INVALID_TEXT',
      `A transaction text is 1 to ${context.maxTextBytes} UTF-8 bytes`,
    )
  }
  return text
}

async function newChallenge(
  context: Context,
  purpose: 'registration' | 'authentication' | 'transaction',
  userId: string | undefined,
  text: string | undefined,
): Promise<Uint8Array<ArrayBuffer>> {
  const expiresAt = nowSeconds(context) + Math.ceil(context.timeout / 1000)
  const challenge = await issueChallenge(context.challenges, {
    purpose,
    userId,
    text,
    nonce: context.random(16),
    expiresAt,
  })
  return new Uint8Array(isoBase64URL.toBuffer(challenge))
}

async function registrationOptions(
  context: Context,
  user: PasskeyUser,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const userId = userIdOf(user)
  if (typeof user.name !== 'string' || user.name.length === 0)
    throw new TypeError('A passkey user has a "name"')
  const existing = await context.credentials.list(userId, 0, context.maxCredentialsPerUser)
  if (existing.total >= context.maxCredentialsPerUser) {
    throw new PasskeyError('ERR_PASSKEY_LIMIT', 'The user has registered as many passkeys as allowed')
  }
  return generateRegistrationOptions({
    rpName: context.rpName,
    rpID: context.rpId,
    userName: user.name,
    userDisplayName: user.displayName ?? user.name,
    userID: new TextEncoder().encode(userId),
    challenge: await newChallenge(context, 'registration', userId, undefined),
    timeout: context.timeout,
    attestationType: context.attestation,
    // The browser refuses to create a second passkey for this user on an authenticator holding one.
    excludeCredentials: existing.credentials.map((credential) => ({
      id: credential.id,
      transports: credential.transports,
    })),
    authenticatorSelection: {
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: context.userVerification,
    },
  })
}

async function verifyRegistration(
  context: Context,
  user: PasskeyUser,
  input: unknown,
): Promise<PasskeyCredentialInfo> {
  const userId = userIdOf(user)
  const { response, clientData, authData, format, transports } = parseRegistration(input)
  const challenge = checkChallenge(context, clientData, ['registration'])
  if (challenge.userHash === undefined || !(await isUserHash(challenge.userHash, userId))) {
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_USER', 'The challenge was issued to another user')
  }
  await checkCeremony(
    context,
    clientData,
    authData,
    'webauthn.create',
    context.userVerification === 'required',
  )
  if ((await context.credentials.get(response.id)) !== undefined) {
    throw new PasskeyError('ERR_PASSKEY_CREDENTIAL_EXISTS', 'The credential is already registered')
  }
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: [...context.origins],
      expectedRPID: context.rpId,
      expectedType: 'webauthn.create',
      requireUserVerification: context.userVerification === 'required',
    })
  } catch (cause) {
    throw new PasskeyError('ERR_PASSKEY_SIGNATURE', 'The attestation does not verify', 400, { cause })
  }
  if (!verified.verified) throw new PasskeyError('ERR_PASSKEY_SIGNATURE', 'The attestation does not verify')
  await consumeChallenge(context.challenges, clientData.challenge, challenge.expiresAt)
  const info = verified.registrationInfo
  const provider = providerName(info.aaguid, context.providerNames) ?? null
  const credential: PasskeyCredential = {
    id: response.id,
    userId,
    publicKey: isoBase64URL.fromBuffer(info.credential.publicKey),
    counter: info.credential.counter,
    transports,
    aaguid: info.aaguid,
    providerName: provider,
    name: provider ?? 'Passkey',
    attestationFormat: format,
    backupEligible: authData.flags.be,
    backedUp: authData.flags.bs,
    createdAt: nowSeconds(context),
    lastUsedAt: null,
  }
  // Counted again here: options for several registrations may have been issued at once.
  const { total } = await context.credentials.list(userId, 0, 0)
  if (total >= context.maxCredentialsPerUser) {
    throw new PasskeyError('ERR_PASSKEY_LIMIT', 'The user has registered as many passkeys as allowed')
  }
  if (!(await context.credentials.create(credential))) {
    throw new PasskeyError('ERR_PASSKEY_CREDENTIAL_EXISTS', 'The credential is already registered')
  }
  log(context, 'info', 'passkey registered', {
    userId,
    credentialId: credential.id,
    aaguid: credential.aaguid,
  })
  return publicView(credential)
}

async function requestOptions(
  context: Context,
  purpose: 'authentication' | 'transaction',
  userId: string | undefined,
  text: string | undefined,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if (userId !== undefined) userIdOf({ id: userId })
  const allow =
    userId === undefined
      ? []
      : (await context.credentials.list(userId, 0, context.maxCredentialsPerUser)).credentials
  if (purpose === 'transaction' && allow.length === 0) {
    throw new PasskeyError('ERR_PASSKEY_UNKNOWN_CREDENTIAL', 'The user has no passkey to approve with')
  }
  return generateAuthenticationOptions({
    rpID: context.rpId,
    allowCredentials: allow.map((credential) => ({ id: credential.id, transports: credential.transports })),
    challenge: await newChallenge(context, purpose, userId, text),
    timeout: context.timeout,
    userVerification: purpose === 'transaction' ? 'required' : context.userVerification,
  })
}
