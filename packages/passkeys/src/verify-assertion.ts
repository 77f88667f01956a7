/**
 * The assertion ceremony, shared by sign-in and transaction approval. The order matters: cheap
 * checks on bounded input first, the signature next, then the challenge is burnt (so a replay of
 * a verified response reads `ERR_PASSKEY_CHALLENGE_USED`), and last the counter is moved by a
 * compare-and-set, so of two assertions carrying the same counter only one succeeds.
 */
import { verifyAuthenticationResponse } from '@simplewebauthn/server'
import { isoBase64URL } from '@simplewebauthn/server/helpers'
import { consumeChallenge, isUserHash } from './challenge.js'
import { type Context, checkCeremony, checkChallenge, log, nowSeconds } from './context.js'
import { PasskeyError } from './errors.js'
import { type PasskeyCredentialInfo, publicView } from './management.js'
import { parseAssertion } from './response.js'

export interface AssertionResult {
  /** The user the credential is registered to. */
  userId: string
  /** The credential that signed, after this use (counter, `lastUsedAt`, `backedUp` updated). */
  credential: PasskeyCredentialInfo
  /** Whether the authenticator verified the user (UV flag). */
  userVerified: boolean
}

export async function verifyAssertion(
  context: Context,
  input: unknown,
  purpose: 'authentication' | 'transaction',
): Promise<AssertionResult & { text?: string }> {
  const { response, clientData, authData, userHandle } = parseAssertion(input)
  const challenge = checkChallenge(context, clientData, [purpose])
  const requireUv = purpose === 'transaction' || context.userVerification === 'required'
  await checkCeremony(context, clientData, authData, 'webauthn.get', requireUv)
  const credential = await context.credentials.get(response.id)
  if (credential === undefined) {
    throw new PasskeyError('ERR_PASSKEY_UNKNOWN_CREDENTIAL', 'No passkey with this id is registered')
  }
  // A challenge issued to a named user is answered by that user's credential only.
  if (challenge.userHash !== undefined && !(await isUserHash(challenge.userHash, credential.userId))) {
    throw new PasskeyError('ERR_PASSKEY_WRONG_USER', 'The passkey belongs to another user')
  }
  if (purpose === 'transaction' && challenge.userHash === undefined) {
    throw new PasskeyError('ERR_PASSKEY_CHALLENGE_UNKNOWN', 'The challenge was not issued here')
  }
  if (userHandle !== undefined && isoBase64URL.toUTF8String(userHandle) !== credential.userId) {
    throw new PasskeyError('ERR_PASSKEY_WRONG_USER', 'The user handle is not the passkey owner')
  }
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: clientData.challenge,
      expectedOrigin: [...context.origins],
      expectedRPID: context.rpId,
      expectedType: 'webauthn.get',
      requireUserVerification: requireUv,
      // The counter is checked below, after the challenge is burnt, with its own error code and a
      // compare-and-set; the library's check would throw an untyped error first.
      credential: { id: credential.id, publicKey: isoBase64URL.toBuffer(credential.publicKey), counter: 0 },
    })
  } catch (cause) {
    throw new PasskeyError('ERR_PASSKEY_SIGNATURE', 'The assertion does not verify', 400, { cause })
  }
  if (!verified.verified) throw new PasskeyError('ERR_PASSKEY_SIGNATURE', 'The assertion does not verify')
  await consumeChallenge(context.challenges, clientData.challenge, challenge.expiresAt)
  const counter = authData.counter
  // Authenticators without a counter report 0 forever; any other value must grow (WebAuthn §6.1.1).
  if ((counter !== 0 || credential.counter !== 0) && counter <= credential.counter) {
    log(context, 'warn', 'passkey counter went backwards', {
      credentialId: credential.id,
      userId: credential.userId,
    })
    throw new PasskeyError('ERR_PASSKEY_COUNTER', 'The signature counter did not increase')
  }
  const use = { counter, backedUp: authData.flags.bs, lastUsedAt: nowSeconds(context) }
  if (!(await context.credentials.recordUse(credential.id, credential.counter, use))) {
    throw new PasskeyError('ERR_PASSKEY_COUNTER', 'The signature counter did not increase')
  }
  log(context, 'debug', `passkey ${purpose} verified`, {
    userId: credential.userId,
    credentialId: credential.id,
  })
  const result: AssertionResult & { text?: string } = {
    userId: credential.userId,
    credential: publicView({ ...credential, ...use }),
    userVerified: authData.flags.uv,
  }
  if (purpose === 'transaction') result.text = challenge.text ?? ''
  return result
}
