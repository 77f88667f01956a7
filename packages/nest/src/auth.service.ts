import { Inject, Injectable } from '@nestjs/common'
import { type Auth, type BearerVerifier, ConfigurationError, type Session } from '@org/auth-core'
import { AUTH_RUNTIME } from './auth.constants.js'
import type { AuthRuntime } from './auth.options.js'
import { nodeRequest } from './platform.js'
import { sessionRequest } from './session.guard.js'

/** The module's verifier and web login, for handlers that need more than a guard gives. */
@Injectable()
export class AuthService {
  constructor(@Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime) {}

  /**
   * The session of the request, read-only (`null` when signed out), for pages that show either
   * state. It never renews or refreshes (it cannot write cookies): put `@RequireSession()` on
   * routes that need a fresh access token. Takes Express's `req` or Fastify's `request`.
   */
  getSession(request: object): Promise<Session | null> {
    return this.login.getSession(sessionRequest(nodeRequest(request), this.runtime))
  }

  /** The web login (`createAuth`) of the module: its `paths`, `loginUrl()`... */
  get login(): Auth {
    if (this.runtime.login === undefined) {
      throw new ConfigurationError('AuthService.login needs the "login" option of AuthModule')
    }
    return this.runtime.login
  }

  /** The bearer verifier of the module, e.g. to authenticate a WebSocket handshake. */
  get verifier(): BearerVerifier {
    if (this.runtime.verifier === undefined) {
      throw new ConfigurationError('AuthService.verifier needs the "verifier" option of AuthModule')
    }
    return this.runtime.verifier
  }
}
