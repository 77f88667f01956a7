/// <reference path="./next-modules.d.ts" />
/**
 * "Where you are signed in" and "sign out everywhere" for Next: the core's session management
 * on the current request. Listing works anywhere `next/headers` does; revoking is for Server
 * Actions and route handlers, where the browser's `Origin` / `Sec-Fetch-Site` show the request
 * came from the application (the core refuses it otherwise) and the cookie can be cleared.
 */
import type { Auth, SessionSummary } from '@org/auth-core'
import { currentRequest, setCookies } from './session.js'

export interface SessionManagement {
  /**
   * The signed-in user's sessions (created, last seen, browser, `current`), newest first; `null`
   * when signed out. Needs a `session.store` that indexes sessions by user.
   */
  listSessions(): Promise<SessionSummary[] | null>
  /** Server Actions: ends one of the user's sessions by its `handle`; whether it existed. */
  revokeSession(handle: string): Promise<boolean>
  /**
   * Server Actions: "sign out everywhere" (`keepCurrent`: everywhere else); the number of
   * sessions ended. Clears this browser's cookie when its session ended too.
   */
  revokeAllSessions(options?: { keepCurrent?: boolean }): Promise<number>
}

export function sessionManagement(login: () => Auth): SessionManagement {
  return {
    async listSessions() {
      const request = await currentRequest()
      return login().listSessions(request)
    },
    async revokeSession(handle) {
      const request = await currentRequest()
      return login().revokeSession(request, handle)
    },
    async revokeAllSessions(options = {}) {
      const request = await currentRequest()
      const { revoked, cookies: lines } = await login().revokeAllSessions(request, options)
      await setCookies(lines)
      return revoked
    },
  }
}
