import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendWebResponse, type ToWebRequestOptions, toWebRequest } from '@org/auth-core/node'

/**
 * Answers a Nest route with a fetch-style handler (any `(request: Request) => Promise<Response>`),
 * on Express and Fastify alike; use it with `@Req()` and `@Res()`. Express's request and response
 * are Node's own. Fastify's wrap them in `raw`; Fastify has already read and parsed the body,
 * which is handed to the bridge where it looks for a parsed body, and the reply is hijacked since
 * it is written without Fastify.
 */
export async function answerWith(
  request: object,
  response: object,
  handler: (request: Request) => Promise<Response>,
  options: Omit<ToWebRequestOptions, 'res'> = {},
): Promise<void> {
  let req = request as IncomingMessage
  let res = response as ServerResponse
  if ('raw' in request && 'raw' in response) {
    const reply = response as { raw: ServerResponse; hijack(): void }
    reply.hijack()
    req = Object.assign(request.raw as IncomingMessage, { body: (request as { body?: unknown }).body })
    res = reply.raw
  }
  await sendWebResponse(res, await handler(toWebRequest(req, { ...options, res })))
}
