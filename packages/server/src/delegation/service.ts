/**
 * The identity-provider side of the MFA delegation protocol as a Web `(Request) => Response`
 * handler. Each request passes, in order: route and media type, size, JWE header allow-list and
 * decryption with our key, JWS header allow-list and signature against a registered provider's
 * pinned key, claims (`iss`, `aud`, `htm`, `htu`, `iat`, `exp`), and the replay cache; only then
 * does an operation run. Every answer, refusals included, is signed; once the caller is
 * authenticated it is also encrypted to the caller and bound to its `jti`.
 */
import {
  checkEnvelopeClaims,
  DELEGATION_CONTENT_TYPE,
  DELEGATION_PATHS,
  type DelegationOperation,
  DelegationProtocolError,
  decryptEnvelope,
  delegationErrorCode,
  IDENTIFIER,
  MAX_MESSAGE_BYTES,
  peekEnvelope,
  REQUEST_TYPE,
  verifyEnvelope,
} from '@org/auth-core/delegation'
import { runOperation } from './operations.js'
import type { DelegationServiceOptions } from './options.js'
import { type Provider, type ResolvedService, resolveServiceOptions } from './resolve.js'
import { type AnswerBody, answer } from './respond.js'

/** A delegation service: hand it every request under its base path. */
export type DelegationHandler = (request: Request) => Promise<Response>

const OPERATIONS = Object.entries(DELEGATION_PATHS) as [DelegationOperation, string][]

// Which refusal a failed check becomes on the wire; everything else is `invalid_message`.
const WIRE: Record<string, [error: string, status: number]> = {
  ERR_DELEGATION_KEY_UNKNOWN: ['unauthorized', 401],
  ERR_DELEGATION_SIGNATURE_INVALID: ['unauthorized', 401],
  ERR_DELEGATION_ISSUER_INVALID: ['unauthorized', 401],
  ERR_DELEGATION_AUDIENCE_INVALID: ['invalid_claims', 401],
  ERR_DELEGATION_HTU_INVALID: ['invalid_claims', 401],
  ERR_DELEGATION_EXPIRED: ['stale_request', 401],
  ERR_DELEGATION_ISSUED_IN_FUTURE: ['stale_request', 401],
  ERR_DELEGATION_LIFETIME_INVALID: ['stale_request', 401],
}

/** Not an `Error`: a planned refusal, carried out of the pipeline to one place that answers it. */
class Refusal {
  constructor(
    readonly code: string,
    readonly error: string,
    readonly status: number,
  ) {}
}

/** The refusal a failed check becomes; `undefined` for an unexpected error (a bug, a store outage). */
function refusalOf(error: unknown): Refusal | undefined {
  if (error instanceof Refusal) return error
  if (!(error instanceof DelegationProtocolError)) return undefined
  const [wire, status] = Object.hasOwn(WIRE, error.code)
    ? (WIRE[error.code] as [string, number])
    : ['invalid_message', 400]
  return new Refusal(error.code, wire, status)
}

async function readBody(request: Request): Promise<string> {
  const tooLarge = () => new Refusal('ERR_DELEGATION_TOO_LARGE', 'invalid_message', 413)
  if (Number(request.headers.get('content-length')) > MAX_MESSAGE_BYTES) throw tooLarge()
  const reader = request.body?.getReader()
  if (reader === undefined) return ''
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (;;) {
    // A body that breaks off (client gone, bad chunking) is the caller's failure, not ours: a
    // refusal, not a 500 and a `failure` event anyone could trigger.
    const { done, value } = await reader.read().catch(() => {
      throw new Refusal('ERR_DELEGATION_BODY_UNREADABLE', 'invalid_message', 400)
    })
    if (done) return text + decoder.decode()
    size += value.byteLength
    if (size > MAX_MESSAGE_BYTES) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    text += decoder.decode(value, { stream: true })
  }
}

/** What the pipeline learnt before it stopped: who to answer, and to which request. */
interface Progress {
  operation?: DelegationOperation
  provider?: Provider
  jti?: string
}

async function handleRequest(
  service: ResolvedService,
  request: Request,
  progress: Progress,
): Promise<AnswerBody> {
  const pathname = new URL(request.url).pathname
  const match = OPERATIONS.find(([, path]) => pathname.endsWith(path))
  if (match === undefined) throw new Refusal('ERR_DELEGATION_NOT_FOUND', 'not_found', 404)
  const [operation, path] = match
  progress.operation = operation
  if (request.method !== 'POST') throw new Refusal('ERR_DELEGATION_METHOD', 'invalid_message', 405)
  const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (mediaType !== DELEGATION_CONTENT_TYPE)
    throw new Refusal('ERR_DELEGATION_MEDIA_TYPE', 'invalid_message', 415)

  const body = (await readBody(request)).trim()
  const jws = await decryptEnvelope(body, service.decryptionKeys).catch((error) => {
    // Whatever failed in the JWE layer, the caller learns only that its message was unreadable.
    const refusal = refusalOf(error)
    throw refusal === undefined ? error : new Refusal(refusal.code, 'invalid_message', 400)
  })
  const peeked = peekEnvelope(jws)
  const unverifiedJti = peeked?.payload['jti']
  // Echoed so the caller can match the refusal; it is only trusted after the signature check.
  if (typeof unverifiedJti === 'string' && IDENTIFIER.test(unverifiedJti)) progress.jti = unverifiedJti
  const kid = peeked?.header['kid']
  // Pinned keys only: the kid picks a registered provider, never supplies a key.
  const provider = typeof kid === 'string' ? service.providersByKid.get(kid) : undefined
  const payload = await verifyEnvelope(jws, REQUEST_TYPE, provider?.signingKeys ?? [])
  if (provider === undefined) throw new Refusal('ERR_DELEGATION_KEY_UNKNOWN', 'unauthorized', 401)
  progress.provider = provider
  const claims = checkEnvelopeClaims(payload, {
    issuer: provider.id,
    audience: service.baseUrl,
    now: service.seconds(),
    leeway: service.leeway,
    maxLifetime: service.maxRequestLifetime,
  })
  if (payload['htm'] !== 'POST' || payload['htu'] !== `${service.baseUrl}${path}`) {
    throw new DelegationProtocolError(
      'ERR_DELEGATION_HTU_INVALID',
      'The "htm"/"htu" claims do not name this endpoint',
    )
  }
  const fresh = await service.replayStore
    .consume(`${claims.iss}\u0000${claims.jti}`, claims.exp + service.leeway)
    .catch((error) => {
      // Fail closed: without the replay check nothing may run.
      service.emit({
        type: 'failure',
        code: 'ERR_DELEGATION_UNAVAILABLE',
        spId: claims.iss,
        operation,
        error,
      })
      throw new Refusal('ERR_DELEGATION_UNAVAILABLE', 'temporarily_unavailable', 503)
    })
  if (!fresh) throw new Refusal('ERR_DELEGATION_REPLAYED', 'replayed_request', 409)
  const outcome = await runOperation(operation, payload['params'], service.operationContext(claims.iss))
  if ('result' in outcome) return { status: outcome.status, result: outcome.result }
  service.emit({
    type: 'refused',
    code: delegationErrorCode(outcome.error),
    error: outcome.error,
    spId: claims.iss,
    operation,
  })
  return { status: outcome.status, error: outcome.error, ...(outcome.extra ?? {}) }
}

/**
 * Creates the delegation service. Options and keys are checked here (`ERR_INVALID_OPTION`,
 * `ERR_INVALID_PRIVATE_KEY`, `ERR_INVALID_PUBLIC_KEY`), never at the first request.
 */
export async function createDelegationService(options: DelegationServiceOptions): Promise<DelegationHandler> {
  const service = await resolveServiceOptions(options)
  return async function delegationService(request: Request): Promise<Response> {
    const progress: Progress = {}
    let body: AnswerBody
    try {
      body = await handleRequest(service, request, progress)
    } catch (error) {
      const refusal = refusalOf(error)
      const context = { spId: progress.provider?.id, operation: progress.operation }
      if (refusal === undefined) {
        service.emit({ type: 'failure', code: 'ERR_DELEGATION_SERVER_ERROR', ...context, error })
        body = { status: 500, error: 'server_error' }
      } else {
        service.emit({ type: 'refused', code: refusal.code, error: refusal.error, ...context })
        body = { status: refusal.status, error: refusal.error }
      }
    }
    return answer(service, body, progress.provider, progress.jti)
  }
}
