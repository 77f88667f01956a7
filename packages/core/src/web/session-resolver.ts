/**
 * Reading the session of a request for application code: validity, rolling renewal, and the
 * access-token refresh shortly before expiry, at most one refresh per session at a time.
 */
import { type AuthError, isAuthError } from '../errors.js'
import { decodePayload, splitCompact } from '../jwt/decode.js'
import { LruCache } from '../lib/lru.js'
import type { OAuthClient } from '../oauth/client.js'
import type { IdTokenClaims } from '../oauth/token-set.js'
import type { AuthConfig, Site } from './auth-config.js'
import type { SessionAppData } from './login-hook.js'
import { oneTimeKey } from './one-time-store.js'
import { revokeQuietly } from './revoke-quietly.js'
import { type SessionCookies, sessionTokens } from './session-cookie.js'
import type { SessionDpopKeys } from './session-dpop.js'
import type { SessionData, SessionTokens } from './session-store.js'

/**
 * The signed-in user's session as application code sees it. Frozen: the requests of one session
 * cookie share one (its `user` and `data` are frozen too in cookie mode, where the whole payload
 * is shared). Pass this object itself to `auth.sessionFetch`: a copy has no tokens behind it.
 */
export interface Session {
  /** The user's ID-token claims (`sub`, `name`, `email`...), without the token's own claims. */
  readonly user: SessionData['user']
  /** The access token for your API (server-side use only: never send it to the browser). */
  readonly accessToken?: string
  /** Epoch seconds when `accessToken` expires, when the provider said. */
  readonly accessTokenExpiresAt?: number
  /** Scope granted to the access token. */
  readonly scope?: string
  /**
   * How `accessToken` is sent: `DPoP` tokens only with a proof by the session's key
   * (`auth.sessionFetch`), never as Bearer. Present with `accessToken`.
   */
  readonly tokenType?: 'Bearer' | 'DPoP'
  /** The application's data, as `onLogin` returned it (none without). */
  readonly data?: SessionAppData
  /** Epoch seconds when the session ends without further activity. */
  readonly expiresAt: number
}

/** A resolved session and the `Set-Cookie` lines the response must carry (renewal, refresh, cleanup). */
export interface ResolvedSession {
  session: Session | null
  cookies: string[]
}

/** The tokens behind each session handed out, for `sessionFetch` (the key never goes on `Session`). */
const sessionTokensOf = new WeakMap<Session, SessionTokens>()

/** The stored tokens (with the DPoP key) of a session this library returned. */
export function tokensOfSession(session: Session): SessionTokens | undefined {
  return sessionTokensOf.get(session)
}

export function publicSession(data: SessionData): Session {
  const { tokens } = data
  const session: Session = Object.freeze({
    user: data.user,
    expiresAt: data.expiresAt,
    ...(tokens.accessToken === undefined
      ? {}
      : { accessToken: tokens.accessToken, tokenType: tokens.tokenType ?? 'Bearer' }),
    ...(tokens.expiresAt === undefined ? {} : { accessTokenExpiresAt: tokens.expiresAt }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    ...(data.data === undefined ? {} : { data: data.data }),
  })
  sessionTokensOf.set(session, tokens)
  return session
}

/**
 * The sessions of cookies unsealed before (`resolveCached`), by their frozen payload: a cache hit
 * hands out the same frozen `Session` instead of building one (and its `sessionFetch` entry) per
 * request. Entries go with the payload when the unseal cache drops it.
 */
const cachedSessions = new WeakMap<SessionData, Session>()

function cachedPublicSession(data: SessionData): Session {
  let session = cachedSessions.get(data)
  if (session === undefined) {
    session = publicSession(data)
    cachedSessions.set(data, session)
  }
  return session
}

/**
 * Seconds a finished refresh is remembered, by the refresh token it used. A request that left the
 * browser with the old cookie just before the rotated one arrived gets the refreshed tokens
 * instead of replaying the used refresh token, which a rotating provider answers with
 * `invalid_grant` and may treat as theft (oidc-provider then revokes the whole grant).
 */
const REFRESH_GRACE_SECONDS = 60
/**
 * Seconds one instance holds the shared claim on a refresh token: others meanwhile serve the
 * session unchanged (its access token still works, `refreshBefore` ahead of expiry) instead of
 * replaying the token. Short, since a claim whose refresh failed blocks retries until it expires.
 */
const REFRESH_CLAIM_SECONDS = 30
/** Most refreshes remembered at once (one per session refreshing within the grace period). */
const MAX_REMEMBERED_REFRESHES = 10_000

/** How a refresh ended: new tokens, the session is over, or nothing changed (try again later). */
type RefreshOutcome = { tokens: SessionTokens } | { ended: true } | { unchanged: true }

/** The latest refresh of a session, by session id: at most one per session, forgotten at logout. */
interface RememberedRefresh {
  /** The refresh token it used: only a request presenting this one reuses the outcome. */
  refreshToken: string
  outcome: RefreshOutcome | Promise<RefreshOutcome>
  /** Epoch ms until which a request with the same refresh token reuses a settled outcome. */
  until: number
}

/**
 * A refreshed ID token that fails its checks (another login's `sub`, a bad signature...): by
 * code, so errors from another installed copy of the package match too.
 */
function isIdTokenRefusal(error: AuthError): boolean {
  return error.status === 401 && error.code.startsWith('ERR_JW')
}

/**
 * The claims of the login a refresh must keep (OpenID Connect Core §12.2: `iss`, `sub`, `aud`,
 * `azp`, `auth_time`): the session's ID token, verified when it was stored. Without one, the
 * user's claims, so a refreshed ID token without the same `aud` ends the session (fail closed).
 */
function loginClaims(data: SessionData): IdTokenClaims {
  const { idToken } = data.tokens
  if (idToken !== undefined) {
    try {
      return decodePayload(splitCompact(idToken, idToken.length)[1]) as IdTokenClaims
    } catch {
      // A session written by this library always holds a decodable ID token; fall through.
    }
  }
  return data.user as IdTokenClaims
}

export class SessionResolver {
  readonly #config: AuthConfig
  readonly #cookies: SessionCookies
  readonly #client: () => Promise<OAuthClient>
  readonly #dpopKeys: SessionDpopKeys
  /** Refreshes in flight and recently finished, by session id and refresh token. */
  readonly #refreshes = new LruCache<RememberedRefresh>(MAX_REMEMBERED_REFRESHES)

  constructor(
    config: AuthConfig,
    cookies: SessionCookies,
    client: () => Promise<OAuthClient>,
    dpopKeys: SessionDpopKeys,
  ) {
    this.#config = config
    this.#cookies = cookies
    this.#client = client
    this.#dpopKeys = dpopKeys
  }

  #needsRefresh(data: SessionData): boolean {
    const { expiresAt, refreshToken } = data.tokens
    if (expiresAt === undefined || refreshToken === undefined) return false
    return expiresAt - this.#config.refreshBefore <= Math.floor(this.#config.now() / 1000)
  }

  /** Refreshes the tokens; `transient` marks an outcome not worth remembering (the provider was unreachable). */
  async #refreshTokens(data: SessionData): Promise<RefreshOutcome & { transient?: true }> {
    try {
      if (!(await this.#claim(data.tokens.refreshToken as string))) return { unchanged: true }
      const client = await this.#client()
      // The refresh is signed by the session's key: bound tokens stay bound to it.
      const dpopKey = await this.#dpopKeys.forSession(data.tokens)
      const tokens = await client.refresh(data.tokens.refreshToken as string, {
        idTokenClaims: loginClaims(data),
        ...(dpopKey === undefined ? {} : { dpopKey }),
      })
      return { tokens: sessionTokens(tokens, data.tokens) }
    } catch (error) {
      if (!isAuthError(error)) return { unchanged: true, transient: true }
      if (isIdTokenRefusal(error)) return { ended: true }
      if (error.code !== 'ERR_OAUTH_EXCHANGE') return { unchanged: true, transient: true }
      // A refusal while the access token still works is most likely a race this process did not
      // see (another instance, or a request that outran the rotated cookie): the session goes on
      // until the access token expires, and the browser's newer cookie, if any, takes over.
      const { expiresAt } = data.tokens
      const stillValid = expiresAt !== undefined && expiresAt > Math.floor(this.#config.now() / 1000)
      return stillValid ? { unchanged: true } : { ended: true }
    }
  }

  /** Whether this instance may use `refreshToken` now (no other instance is, or just did). */
  async #claim(refreshToken: string): Promise<boolean> {
    const key = await oneTimeKey('refresh', refreshToken)
    const until = Math.floor(this.#config.now() / 1000) + REFRESH_CLAIM_SECONDS
    return this.#config.oneTimeStore.consume(key, until)
  }

  /**
   * The refreshed session, `null` when the login is over (the provider refused the refresh token
   * and the access token has expired, or the refreshed ID token is another login's), or the
   * unchanged session when the provider could not be reached: the next request tries again.
   * Requests of one session share one refresh, and for {@link REFRESH_GRACE_SECONDS} afterwards a
   * request presenting the same refresh token reuses its outcome instead of replaying the token.
   */
  async #refresh(data: SessionData): Promise<SessionData | null> {
    const refreshToken = data.tokens.refreshToken as string
    const known = this.#refreshes.get(data.id)
    let outcome: RefreshOutcome
    if (known !== undefined && known.refreshToken === refreshToken && known.until > this.#config.now()) {
      outcome = await known.outcome
    } else {
      const pending = this.#refreshTokens(data)
      const entry: RememberedRefresh = { refreshToken, outcome: pending, until: Number.POSITIVE_INFINITY }
      this.#refreshes.set(data.id, entry)
      outcome = await pending
      if ('transient' in outcome) {
        if (this.#refreshes.get(data.id) === entry) this.#refreshes.delete(data.id)
      } else {
        entry.outcome = outcome
        // An unchanged session is served only while its access token works, then asked again.
        const expiresAt =
          'unchanged' in outcome ? (data.tokens.expiresAt ?? 0) * 1000 : Number.POSITIVE_INFINITY
        entry.until = Math.min(this.#config.now() + REFRESH_GRACE_SECONDS * 1000, expiresAt)
      }
    }
    if ('ended' in outcome) return null
    if ('unchanged' in outcome) return data
    return { ...data, tokens: outcome.tokens }
  }

  /**
   * Forgets what is remembered of a session's refreshes (logout): a copy of its pre-refresh cookie
   * presented afterwards gets nothing from the grace period.
   */
  forget(sessionId: string): void {
    this.#refreshes.delete(sessionId)
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
      const written = await this.#cookies.rewrite(site, cookies, data)
      if (written === undefined) {
        // Revoked while this request ran (sign out everywhere, back-channel logout): stay signed
        // out, and a grant this request just refreshed is not left live at the provider.
        const { refreshToken } = data.tokens
        if (changed && refreshToken !== undefined) await revokeQuietly(this.#client, refreshToken)
        return { session: null, cookies: await this.#cookies.clear(site, cookies) }
      }
      return { session: publicSession(written.session), cookies: written.cookies }
    }
    return { session: publicSession(data), cookies: [] }
  }

  /**
   * What {@link resolve} gives when that is known without waiting, else `undefined` (then call
   * `resolve`): a cookie unsealed before (see `SessionCookies.readCached`) whose session needs no
   * refresh and no renewal, so no cookie to set. Every other case, refusals included, is `resolve`'s.
   */
  resolveCached(site: Site, cookieHeader: string | null): Session | undefined {
    const read = this.#cookies.readCached(site, cookieHeader)
    if (read === undefined || this.#needsRefresh(read.session) || this.#cookies.shouldExtend(read)) {
      return undefined
    }
    return cachedPublicSession(read.session)
  }

  /** The session of a request, read-only: no renewal, no refresh, no cookie written. */
  async peek(site: Site, cookies: Map<string, string>): Promise<Session | null> {
    const read = await this.#cookies.read(site, cookies)
    return read === undefined ? null : publicSession(read.session)
  }
}
