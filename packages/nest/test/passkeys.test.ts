import 'reflect-metadata'
import { All, Controller, Get, Inject, Post, Req, Res } from '@nestjs/common'
import { MemoryOneTimeStore, type SessionAuthContext } from '@org/auth-core'
import { createPasskeys, createSessionPasskeyHandler, MemoryCredentialStore } from '@org/auth-passkeys'
import { runPasskeyAdapterScenario, testLoginHandler } from '@org/test-kit/passkey-adapter-scenario'
import { afterEach, describe, it } from 'vitest'
import { AuthService, answerWith, CurrentAuth, RequireSession } from '../src/index.js'
import { PLATFORMS, type RunningApp, startApp } from './helpers.js'

// Passkeys in Nest behind the module's session: the passkey handler of @org/auth-passkeys is a
// Web handler answered with `answerWith` (Express and Fastify); @RequireSession admits a passkey
// sign-in. The relying party is made once the app listens (its origin has the port).
let passkeyRoutes: ((request: Request) => Promise<Response>) | undefined

@Controller()
class PasskeysController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  // Every route of the handler is one or two segments under /passkeys (Fastify takes no mid-path wildcard).
  @All(['passkeys/:a', 'passkeys/:a/:b'])
  passkeys(@Req() request: object, @Res() response: object) {
    return answerWith(request, response, passkeyRoutes as (request: Request) => Promise<Response>)
  }

  @Post('test/login')
  login(@Req() request: object, @Res() response: object) {
    return answerWith(request, response, testLoginHandler(this.auth.login))
  }

  @Get('me')
  @RequireSession({ maxAge: 300 })
  me(@CurrentAuth('claims') claims: SessionAuthContext['claims']) {
    return claims
  }
}

let app: RunningApp | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe.each(PLATFORMS)('passkeys in Nest on %s', (platform) => {
  it('registers for the signed-in user only, and a passkey sign-in passes @RequireSession({ maxAge })', async () => {
    app = await startApp({
      platform,
      mode: 'forRoot',
      options: {
        login: {
          issuer: 'http://127.0.0.1:9/never-asked', // a passkey sign-in needs no provider
          clientId: 'app',
          session: { secrets: 'a-nest-test-secret-that-is-long-enough-0123' },
        },
      },
      controllers: [PasskeysController],
    })
    const passkeys = createPasskeys({
      rpId: '127.0.0.1',
      rpName: 'Test',
      origins: [app.origin],
      credentials: new MemoryCredentialStore(),
      challenges: new MemoryOneTimeStore(),
    })
    passkeyRoutes = createSessionPasskeyHandler(app.app.get(AuthService).login, passkeys)
    await runPasskeyAdapterScenario(app.origin)
  })
})
