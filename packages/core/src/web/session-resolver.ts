/**
 * Reading the session of a request for application code: validity, rolling renewal, and the
 * access-token refresh shortly before expiry, at most one refresh per session at a time.
 */
import { isAuthError } from '../errors.js'
import type { OAuthClient } from '../oauth/client.js'
import type { AuthConfig, Site } from './auth-config.js'
import { type SessionCookies, sessionTokens } from './session-cookie.js'
import type { SessionData } from './session-store.js'

/** The signed-in user's session as application code sees it. */
export interface Session {
  /** The user's ID-token claims (`sub`, `name`, `email`...), without the token's own claims. */
  user: SessionData['user']
  /** The access token for your API (server-side use only: never send it to the browser). */
  accessToken?: string
  /** Epoch seconds when `accessToken` expires, when the provider said. */
  accessTokenExpiresAt?: number
  /** Scope granted to the access token. */
  scope?: string
  /** Epoch seconds when the session ends without further activity. */
  expiresAt: number
}

/** A resolved session and the `Set-Cookie` lines the response must carry (renewal, refresh, cleanup). */
export interface ResolvedSession {
  session: Session | null
  cookies: string[]
}

export function publicSession(data: SessionData): Session {
  const { tokens } = data
  return {
    user: data.user,
    expiresAt: data.expiresAt,
    ...(tokens.accessToken === undefined ? {} : { accessToken: tokens.accessToken }),
    ...(tokens.expiresAt === undefined ? {} : { accessTokenExpiresAt: tokens.expiresAt }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
  }
}

export class SessionResolver {
  readonly #config: AuthConfig
  readonly #cookies: SessionCookies
  readonly #client: () => Promise<OAuthClient>
  /** Refreshes in flight, by session id: parallel requests of one session share one refresh. */
  readonly #refreshing = new Map<string, Promise<SessionData | null>>()

  constructor(config: AuthConfig, cookies: SessionCookies, client: () => Promise<OAuthClient>) {
    this.#config = config
    this.#cookies = cookies
    this.#client = client
  }

  #needsRefresh(data: SessionData): boolean {
    const { expiresAt, refreshToken } = data.tokens
    if (expiresAt === undefined || refreshToken === undefined) return false
    return expiresAt - this.#config.refreshBefore <= Math.floor(this.#config.now() / 1000)
  }

  /**
   * The refreshed session, `null` when the provider refused the refresh token (the session is
   * over), or the unchanged session when the provider could not be reached: its access token
   * may still be valid, and the next request tries again.
   */
  #refresh(data: SessionData): Promise<SessionData | null> {
    let pending = this.#refreshing.get(data.id)
    if (pending === undefined) {
      pending = (async () => {
        try {
          const client = await this.#client()
          const tokens = await client.refresh(data.tokens.refreshToken as string)
          return { ...data, tokens: sessionTokens(tokens, data.tokens) }
        } catch (error) {
          // The provider refused the refresh token (by code, so another installed copy matches too).
          return isAuthError(error) && error.code === 'ERR_OAUTH_EXCHANGE' ? null : data
        } finally {
          this.#refreshing.delete(data.id)
        }
      })()
      this.#refreshing.set(data.id, pending)
    }
    return pending
  }

  /** The session of a request and the cookies to set; refreshes the access token when due. */
  async resolve(site: Site, cookies: Map<string, string>): Promise<ResolvedSession> {
    const read = await this.#cookies.read(site, cookies)
    if (read === undefined) {
      // Leftover cookies (expired, forged, sealed with a retired secret): delete them.
      return { session: null, cookies: await this.#cookies.clear(site, cookies) }
    }
    let data: SessionData | null = read.session
    let changed = false
    if (this.#needsRefresh(data)) {
      const refreshed = await this.#refresh(data)
      if (refreshed === null)
        return { session: null, cookies: await this.#cookies.clear(site, cookies, data) }
      changed = refreshed !== data
      data = refreshed
    }
    if (changed || this.#cookies.shouldExtend(read)) {
      const written = await this.#cookies.write(site, cookies, data)
      return { session: publicSession(written.session), cookies: written.cookies }
    }
    return { session: publicSession(data), cookies: [] }
  }

  /** The session of a request, read-only: no renewal, no refresh, no cookie written. */
  async peek(site: Site, cookies: Map<string, string>): Promise<Session | null> {
    const read = await this.#cookies.read(site, cookies)
    return read === undefined ? null : publicSession(read.session)
  }
}
