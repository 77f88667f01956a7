import {
  DELEGATION_CONTENT_TYPE,
  RESPONSE_TYPE,
  randomIdentifier,
  sealEnvelope,
  signEnvelope,
} from '@org/auth-core/delegation'
import type { Provider, ResolvedService } from './resolve.js'

/** An answer before signing: a result, or a wire `error` with its extra fields. */
export type AnswerBody =
  | { status: number; result: Record<string, unknown> }
  | { status: number; error: string; [extra: string]: unknown }

// Answers are read at once; a minute covers clock skew, and a replayed answer fails `in_reply_to`.
const ANSWER_LIFETIME = 60

/**
 * Signs an answer, and encrypts it to `provider` when the request authenticated one. A refusal of
 * a request that could not be authenticated is signed only, without `aud` (there is no verified
 * recipient), and bound by `in_reply_to` to the request's `jti` when it could be read.
 */
export async function answer(
  service: ResolvedService,
  body: AnswerBody,
  provider: Provider | undefined,
  inReplyTo: string | undefined,
): Promise<Response> {
  const { status, ...content } = body
  const iat = service.seconds()
  const payload = {
    iss: service.baseUrl,
    ...(provider === undefined ? {} : { aud: provider.id }),
    iat,
    exp: iat + ANSWER_LIFETIME,
    jti: randomIdentifier(),
    ...(inReplyTo === undefined ? {} : { in_reply_to: inReplyTo }),
    ...content,
  }
  const message =
    provider === undefined
      ? await signEnvelope(payload, RESPONSE_TYPE, service.signingKey)
      : await sealEnvelope(payload, RESPONSE_TYPE, service.signingKey, provider.encryptionKey)
  return new Response(message, {
    status,
    headers: { 'content-type': DELEGATION_CONTENT_TYPE, 'cache-control': 'no-store' },
  })
}
