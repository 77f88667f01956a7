import { All, Controller, Inject, Req, Res } from '@nestjs/common'
import { answerWith, Public } from '@org/auth-nest'
import type { createPasskeyPages } from '@org/demo-ui'

/** The injection token of the demo's passkeys page and routes (a Web handler from @org/demo-ui). */
export const PASSKEY_PAGES = Symbol('passkey pages')
export type PasskeyPages = ReturnType<typeof createPasskeyPages>

/**
 * Passkeys (`/passkeys`, `/passkeys/*`) through the core's Node bridge. Public for the global
 * guard: a passkey signs in without a session, and the handler itself requires the session for
 * registration and management (it reads it through the module's `Auth`).
 */
@Controller('passkeys')
export class PasskeysController {
  constructor(@Inject(PASSKEY_PAGES) private readonly pages: PasskeyPages) {}

  // Parameters, not a wildcard: one path syntax that Express and Fastify route alike.
  @All(['/', ':a', ':a/:b'])
  @Public()
  async passkeys(@Req() request: object, @Res() response: object): Promise<void> {
    await answerWith(request, response, this.pages)
  }
}
