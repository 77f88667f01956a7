import { All, Controller, Inject, Req, Res } from '@nestjs/common'
import { answerWith, CurrentAuth, RequireSession } from '@org/auth-nest'
import type { createMfaPages, SignedInUser } from '@org/demo-ui'

/** The injection token of the demo's MFA settings pages (a Web handler from @org/demo-ui). */
export const MFA_PAGES = Symbol('mfa pages')
export type MfaPages = ReturnType<typeof createMfaPages>

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
    await answerWith(request, response, (webRequest) => this.pages(webRequest, user))
  }
}
