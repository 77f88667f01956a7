import { Inject, Injectable } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import {
  type Auth,
  type BearerVerifier,
  ConfigurationError,
  type Session,
  type SessionSummary,
} from '@org/auth-core'
import { AUTH_RUNTIME } from './auth.constants.js'
import { applyHeaders } from './auth.exception.js'
import type { AuthRuntime } from './auth.options.js'
import { nodeRequest } from './platform.js'
import { sessionRequest } from './session.guard.js'

/** The module's verifier and web login, for handlers that need more than a guard gives. */
@Injectable()
export class AuthService {
  constructor(
    @Inject(AUTH_RUNTIME) private readonly runtime: AuthRuntime,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * The session of the request, read-only (`null` when signed out), for pages that show either
   * state. It never renews or refreshes (it cannot write cookies): put `@RequireSession()` on
   * routes that need a fresh access token. Takes Express's `req` or Fastify's `request`.
   */
  getSession(request: object): Promise<Session | null> {
    return this.login.getSession(sessionRequest(nodeRequest(request), this.runtime))
  }

  /**
   * The signed-in user's sessions (created, last seen, browser, `current`), newest first; `null`
   * when signed out. Needs a `session.store` that indexes sessions by user.
   */
  listSessions(request: object): Promise<SessionSummary[] | null> {
    return this.login.listSessions(sessionRequest(nodeRequest(request), this.runtime))
  }

  /** Ends one of the signed-in user's sessions (by `handle`); whether it existed. Same-origin requests only. */
  revokeSession(request: object, handle: string): Promise<boolean> {
    return this.login.revokeSession(sessionRequest(nodeRequest(request), this.runtime), handle)
  }

  /**
   * "Sign out everywhere" for the signed-in user (`keepCurrent`: everywhere else); the number of
   * sessions ended. Clears this browser's cookie on `response` (Express's or Fastify's) when its
   * session ended too.
   */
  async revokeAllSessions(
    request: object,
    response: object,
    options: { keepCurrent?: boolean } = {},
  ): Promise<number> {
    const web = sessionRequest(nodeRequest(request), this.runtime)
    const { revoked, cookies } = await this.login.revokeAllSessions(web, options)
    applyHeaders(
      this.adapterHost,
      response,
      cookies.map((cookie) => ['set-cookie', cookie] as const),
    )
    return revoked
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
