/**
 * The session cookie: the whole session sealed into it (chunked when large), or, with a store,
 * only a sealed session id. Either way the cookie expires with the session, which ends after
 * `maxAge` of inactivity (rolling) and at the latest `absoluteDuration` after login.
 */
import type { JWK } from 'jose'
import { SessionError } from '../errors.js'
import { randomToken } from '../oauth/pkce.js'
import type { TokenSet } from '../oauth/token-set.js'
import type { AuthConfig, Site } from './auth-config.js'
import { deleteChunked, firstCookieValue, readChunked, writeChunked } from './cookies.js'
import { type CachingSealer, type Sealer, type Unsealed, withUnsealCache } from './seal.js'
import type { SessionData, SessionStore, SessionTokens } from './session-store.js'

/** A cookie value stays below the 4096-byte limit with room for the name and attributes. */
const CHUNK_SIZE = 3800
/** ID-token claims about the token itself, not the user: not kept in the session. */
export const PROTOCOL_CLAIMS = [
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'azp',
]

export interface WrittenSession {
  cookies: string[]
  session: SessionData
}

export interface ReadSession {
  session: SessionData
  /** Epoch seconds when the cookie was last written (drives rolling renewal). */
  writtenAt: number
  /** True when a retired secret sealed the cookie: write it again with the current one. */
  stale: boolean
}

export function cookieNameOf(config: AuthConfig, site: Site): string {
  return `${site.prefix}${config.cookieName}`
}

function nowSeconds(config: AuthConfig): number {
  return Math.floor(config.now() / 1000)
}

/** The tokens a session keeps from a token response. */
export function sessionTokens(tokens: TokenSet, previous?: SessionTokens, dpopKey?: JWK): SessionTokens {
  const refreshToken = tokens.refreshToken ?? previous?.refreshToken
  const idToken = tokens.idToken ?? previous?.idToken
  const scope = tokens.scope ?? previous?.scope
  // The session's key stays with it: a refresh is bound to the same key.
  const key = dpopKey ?? previous?.dpopKey
  return {
    accessToken: tokens.accessToken,
    ...(tokens.tokenType === 'DPoP' ? { tokenType: 'DPoP' as const } : {}),
    ...(key === undefined ? {} : { dpopKey: key }),
    ...(tokens.expiresAt === undefined ? {} : { expiresAt: tokens.expiresAt }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(idToken === undefined ? {} : { idToken }),
    ...(scope === undefined ? {} : { scope }),
  }
}

/** A short printable label of a `User-Agent` header, for a user's list of sessions. */
export function userAgentLabel(header: string | null): string | undefined {
  if (header === null) return undefined
  const label = header
    .replace(/[^\x20-\x7E]/g, '')
    .trim()
    .slice(0, 120)
  return label === '' ? undefined : label
}

/** A new session for a completed login, with a fresh id (never the one of a previous session). */
export function newSession(
  config: AuthConfig,
  tokens: TokenSet,
  userAgent: string | null = null,
  dpopKey?: JWK,
): SessionData {
  const label = userAgentLabel(userAgent)
  const claims = { ...tokens.claims } as Record<string, unknown>
  for (const claim of PROTOCOL_CLAIMS) delete claims[claim]
  const now = nowSeconds(config)
  // Kept apart from `user` (which `onLogin` may change): a back-channel logout names it.
  const idpSid = tokens.claims?.['sid']
  const issuer = tokens.claims?.['iss']
  return {
    id: randomToken(24),
    user: claims as SessionData['user'],
    ...(typeof idpSid === 'string' && idpSid.length > 0 ? { idpSid } : {}),
    ...(typeof issuer === 'string' && issuer.length > 0 ? { issuer } : {}),
    // RFC 6749 §5.1: a token response without `scope` granted the scope requested.
    tokens: sessionTokens(
      tokens.scope === undefined ? { ...tokens, scope: config.scopes } : tokens,
      undefined,
      dpopKey,
    ),
    ...(label === undefined ? {} : { userAgent: label }),
    createdAt: now,
    expiresAt: now + config.maxAge,
  }
}

function isSession(value: unknown): value is SessionData {
  const session = value as SessionData | undefined
  return (
    typeof session === 'object' &&
    session !== null &&
    typeof session.id === 'string' &&
    typeof session.user?.sub === 'string' &&
    typeof session.tokens === 'object' &&
    (session.data === undefined || (typeof session.data === 'object' && session.data !== null)) &&
    typeof session.createdAt === 'number' &&
    typeof session.expiresAt === 'number'
  )
}

export class SessionCookies {
  readonly #config: AuthConfig
  readonly #sealer: CachingSealer

  constructor(config: AuthConfig, sealer: Sealer) {
    this.#config = config
    // Every request of a signed-in browser carries the same cookie: unsealed once per value.
    this.#sealer = withUnsealCache(sealer, config.now)
  }

  /** The valid session of a request, or `undefined` (no cookie, tampered, retired secret, expired, unknown id). */
  async read(site: Site, cookies: Map<string, string>): Promise<ReadSession | undefined> {
    const value = readChunked(cookies, cookieNameOf(this.#config, site), this.#config.maxChunks)
    if (value === undefined) return undefined
    const unsealed = await this.#sealer.unseal(value)
    if (unsealed === undefined) return undefined
    const { payload } = unsealed
    const store = this.#config.store
    const session =
      store === undefined
        ? payload['session']
        : typeof payload['sid'] === 'string'
          ? await store.get(payload['sid'])
          : undefined
    return this.#valid(session, unsealed)
  }

  /**
   * What {@link read} gives, when it is known without waiting: no store (a store is asked on
   * every request, so a revoked session ends at once) and a cookie value unsealed before, read
   * straight from the `Cookie` header.
   * `undefined` when it is not known so (no cookie, a new value, a store): call `read`, which
   * also decides every refusal.
   */
  readCached(site: Site, cookieHeader: string | null): ReadSession | undefined {
    if (this.#config.store !== undefined) return undefined
    // The whole value in one cookie (read first by readChunked too); chunks take the long way.
    const value = firstCookieValue(cookieHeader, cookieNameOf(this.#config, site))
    const unsealed = value === undefined || value === '' ? undefined : this.#sealer.unsealCached(value)
    return unsealed === undefined ? undefined : this.#valid(unsealed.payload['session'], unsealed)
  }

  /** The session read, unless malformed or past its inactivity or absolute end. */
  #valid(session: unknown, unsealed: Unsealed): ReadSession | undefined {
    if (!isSession(session)) return undefined
    const now = nowSeconds(this.#config)
    // The cookie expiry is checked by the seal; these hold even for a store that keeps entries longer.
    if (session.expiresAt <= now || session.createdAt + this.#config.absoluteDuration <= now) return undefined
    return { session, writtenAt: Number(unsealed.payload['iat']) || 0, stale: !unsealed.current }
  }

  /** Whether a rolling session has aged enough since its last write to be extended now. */
  shouldExtend(read: ReadSession): boolean {
    if (!this.#config.rolling) return read.stale
    // Rewriting on every request costs a Set-Cookie per response; a minute's granularity is plenty.
    const interval = Math.min(60, Math.floor(this.#config.maxAge / 10))
    return read.stale || nowSeconds(this.#config) - read.writtenAt >= interval
  }

  /**
   * `Set-Cookie` lines that store a new `session` (and, with a store, save it there), and the
   * session as written.
   */
  async write(site: Site, cookies: Map<string, string>, session: SessionData): Promise<WrittenSession> {
    return (await this.#write(site, cookies, session, 'create')) as WrittenSession
  }

  /**
   * Rewrites a session read earlier in this request (renewal, refreshed tokens): with a store,
   * only while the store still holds it; `undefined`, nothing written, when it was revoked meanwhile.
   */
  rewrite(
    site: Site,
    cookies: Map<string, string>,
    session: SessionData,
  ): Promise<WrittenSession | undefined> {
    return this.#write(site, cookies, session, 'replace')
  }

  /** Extends a rolling session by `maxAge` within `absoluteDuration`, then seals and stores it. */
  async #write(
    site: Site,
    cookies: Map<string, string>,
    session: SessionData,
    mode: 'create' | 'replace',
  ): Promise<WrittenSession | undefined> {
    const config = this.#config
    const now = nowSeconds(config)
    const end = session.createdAt + config.absoluteDuration
    const expiresAt = config.rolling
      ? Math.min(now + config.maxAge, end)
      : Math.min(session.createdAt + config.maxAge, end)
    const updated: SessionData = { ...session, expiresAt, lastSeenAt: now }
    let sealed: string
    if (config.store === undefined) {
      sealed = await this.#sealer.seal({ session: updated }, expiresAt)
    } else {
      if (mode === 'create') await config.store.set(updated.id, updated)
      else if (!(await replaceStored(config.store, updated))) return undefined
      sealed = await this.#sealer.seal({ sid: updated.id }, expiresAt)
    }
    const lines = writeChunked(
      cookies,
      cookieNameOf(config, site),
      sealed,
      { ...site.cookie, maxAge: expiresAt - now },
      CHUNK_SIZE,
      config.maxChunks,
    )
    if (lines === undefined) {
      throw new SessionError(
        'ERR_SESSION_TOO_LARGE',
        `The session needs more than ${config.maxChunks} cookies: configure "session.store" to keep tokens server-side`,
        500,
      )
    }
    return { cookies: lines, session: updated }
  }

  /** `Set-Cookie` lines that delete the session cookie(s), after deleting the session from the store. */
  async clear(site: Site, cookies: Map<string, string>, session?: SessionData): Promise<string[]> {
    if (session !== undefined) await this.#config.store?.delete(session.id)
    return deleteChunked(cookies, cookieNameOf(this.#config, site), site.cookie)
  }
}

/** Rewrites a stored session unless it was deleted since it was read (see `SessionStore.update`). */
async function replaceStored(store: SessionStore, session: SessionData): Promise<boolean> {
  if (typeof store.update === 'function') return store.update(session.id, session)
  // A store without `update`: the check and the write are two calls, so a revocation landing
  // between them is undone. The stores this toolkit ships all implement `update`.
  if ((await store.get(session.id)) === undefined) return false
  await store.set(session.id, session)
  return true
}
