import type { IncomingMessage, ServerResponse } from 'node:http'
import { All, Controller, Inject, Req, Res } from '@nestjs/common'
import { sendWebResponse, toWebRequest } from '@org/auth-core/node'
import { CurrentAuth, RequireSession } from '@org/auth-nest'
import type { createMfaPages, SignedInUser } from '@org/demo-ui'

/** The injection token of the demo's MFA settings pages (a Web handler from @org/demo-ui). */
export const MFA_PAGES = Symbol('mfa pages')
export type MfaPages = ReturnType<typeof createMfaPages>

/**
 * Node's request and response behind Nest's: Express's are Node's own; Fastify's wrap them in
 * `raw`, and Fastify has already read and parsed the body (left where the bridge looks for a
 * parsed body, as on Express) and must be told that the response is written without it.
 * Fastify's form parser (fast-querystring) returns an object with its own prototype, which the
 * bridge does not take for a parsed form: it is copied into a plain object.
 */
function nodeExchange(request: object, response: object): { req: IncomingMessage; res: ServerResponse } {
  if ('raw' in request && 'raw' in response) {
    const reply = response as { raw: ServerResponse; hijack(): void }
    reply.hijack()
    const req = request.raw as IncomingMessage & { body?: unknown }
    const { body } = request as { body?: unknown }
    req.body = typeof body === 'object' && body !== null ? { ...body } : body
    return { req, res: reply.raw }
  }
  return { req: request as IncomingMessage, res: response as ServerResponse }
}

/** MFA settings (`/mfa`, `/mfa/*`) for the signed-in user, through the core's Node bridge. */
@Controller('mfa')
export class MfaController {
  constructor(@Inject(MFA_PAGES) private readonly pages: MfaPages) {}

  // `:action`, not a wildcard: one path syntax that Express and Fastify route alike.
  @All(['/', ':action'])
  @RequireSession()
  async mfa(
    @Req() request: object,
    @Res() response: object,
    @CurrentAuth('claims') user: SignedInUser,
  ): Promise<void> {
    const { req, res } = nodeExchange(request, response)
    await sendWebResponse(res, await this.pages(toWebRequest(req, { res }), user))
  }
}
