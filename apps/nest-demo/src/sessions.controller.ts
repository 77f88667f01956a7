import { All, Controller, Inject, Req, Res } from '@nestjs/common'
import { answerWith, RequireSession } from '@org/auth-nest'
import type { createSessionPages } from '@org/demo-ui'

/** The injection token of the demo's "where you are signed in" pages (a Web handler from @org/demo-ui). */
export const SESSION_PAGES = Symbol('session pages')
export type SessionPages = ReturnType<typeof createSessionPages>

/** Session management (`/sessions`, `/sessions/*`) for the signed-in user, through the core's Node bridge. */
@Controller('sessions')
export class SessionsController {
  constructor(@Inject(SESSION_PAGES) private readonly pages: SessionPages) {}

  // `:action`, not a wildcard: one path syntax that Express and Fastify route alike.
  @All(['/', ':action'])
  @RequireSession()
  async sessions(@Req() request: object, @Res() response: object): Promise<void> {
    await answerWith(request, response, (webRequest) => this.pages(webRequest))
  }
}
