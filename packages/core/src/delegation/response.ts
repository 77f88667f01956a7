/**
 * Turns an identity provider's answer into a result or a typed error, trusting nothing that is
 * not signed by a pinned key and bound to the request: an unsigned body (a proxy's HTML page, a
 * forged JSON error) is never read, and a signed answer to another request is refused.
 */
import { checkEnvelopeClaims } from './claims.js'
import { decryptEnvelope, verifyEnvelope } from './envelope.js'
import { DelegationProtocolError, DelegationRefusedError } from './errors.js'
import type { DelegationKey } from './keys.js'
import { DELEGATION_CONTENT_TYPE, RESPONSE_TYPE } from './protocol.js'
import type { RawAnswer } from './transport.js'

/** What the client knows when an answer arrives. */
export interface ResponseContext {
  /** The identity provider's identifier (its base URL): the expected `iss`. */
  idpId: string
  /** This service provider's id: the expected `aud`. */
  spId: string
  /** The `jti` of the request this answers. */
  requestJti: string
  decryptionKey: DelegationKey
  verificationKeys: readonly DelegationKey[]
  now: number
  leeway: number
  maxLifetime: number
}

function protocolError(code: string, message: string): DelegationProtocolError {
  return new DelegationProtocolError(code, message)
}

/**
 * Opens an answer and returns its `result` object, or throws: a {@link DelegationRefusedError} for
 * an authentic refusal, a {@link DelegationProtocolError} for anything that cannot be trusted.
 */
export async function openResponse(
  answer: RawAnswer,
  ctx: ResponseContext,
): Promise<Record<string, unknown>> {
  const mediaType = answer.contentType.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== DELEGATION_CONTENT_TYPE) {
    throw protocolError(
      'ERR_DELEGATION_RESPONSE_UNSIGNED',
      `The identity provider answered HTTP ${answer.status} without a signed body; it is not trusted`,
    )
  }
  const body = answer.body.trim()
  const parts = body.split('.').length
  if (parts !== 5 && parts !== 3) {
    throw protocolError('ERR_DELEGATION_MALFORMED', 'The answer is neither a compact JWE nor a compact JWS')
  }
  const encrypted = parts === 5
  const jws = encrypted ? await decryptEnvelope(body, [ctx.decryptionKey]) : body
  const payload = await verifyEnvelope(jws, RESPONSE_TYPE, ctx.verificationKeys)
  const error = payload['error']
  // Only a refusal of a request the provider could not authenticate comes signed but unencrypted
  // (it has no authenticated recipient), and then without `aud`.
  if (!encrypted && typeof error !== 'string') {
    throw protocolError('ERR_DELEGATION_RESPONSE_UNENCRYPTED', 'A successful answer must be encrypted')
  }
  checkEnvelopeClaims(payload, {
    issuer: ctx.idpId,
    audience: encrypted || payload['aud'] !== undefined ? ctx.spId : undefined,
    now: ctx.now,
    leeway: ctx.leeway,
    maxLifetime: ctx.maxLifetime,
  })
  const inReplyTo = payload['in_reply_to']
  if (inReplyTo === undefined && typeof error === 'string') {
    const shown = /^[a-z][a-z0-9_]{0,63}$/.test(error) ? error : 'unknown'
    throw protocolError(
      'ERR_DELEGATION_RESPONSE_UNBOUND',
      `The identity provider refused a request it could not read ("${shown}"); check that idpEncryptionKey is its current key`,
    )
  }
  if (inReplyTo !== ctx.requestJti) {
    throw protocolError('ERR_DELEGATION_RESPONSE_MISMATCH', 'The answer is bound to another request')
  }
  if (typeof error === 'string') {
    if (answer.status < 400)
      throw protocolError('ERR_DELEGATION_MALFORMED', 'A refusal came with a success status')
    const remaining = payload['attempts_remaining']
    throw new DelegationRefusedError(
      error,
      Number.isSafeInteger(remaining) && (remaining as number) >= 0 ? (remaining as number) : undefined,
    )
  }
  const result = payload['result']
  if (answer.status !== 200 || typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw protocolError('ERR_DELEGATION_MALFORMED', 'The answer has neither a "result" object nor an "error"')
  }
  return result as Record<string, unknown>
}
