/**
 * Sessions established by the application itself, without an identity provider: a passkey
 * sign-in (or any local authentication the application verified) writes the same sealed session
 * an OIDC login writes, and a recent local authentication of the signed-in user refreshes the
 * session's `auth_time` and `amr` (step-up), so `requireSession({ maxAge })` is met without a
 * round trip to the provider. The core verifies nothing here: the caller has authenticated the
 * user (a verified WebAuthn assertion) and says how, in RFC 8176 `amr` values.
 */
import { ConfigurationError, SessionError } from '../errors.js'
import { randomToken } from '../oauth/pkce.js'
import type { AuthConfig, Site } from './auth-config.js'
import type { SessionAppData } from './login-hook.js'
import type { RequestLike } from './request-like.js'
import { isSameOrigin } from './responses.js'
import { PROTOCOL_CLAIMS, type SessionCookies, userAgentLabel } from './session-cookie.js'
import { publicSession, type Session, type SessionResolver } from './session-resolver.js'
import type { SessionData } from './session-store.js'

/** What `auth.signIn` writes into a new session. */
export interface SignInOptions {
  /**
   * The user's claims: `sub` (your user id, as your other sessions carry it) and any profile
   * claims (`name`, `email`). `iss`, `auth_time`, `amr`, `acr`, `sid` and the ID-token claims
   * about a token (`aud`, `exp`...) are the session's to set: giving them is a `TypeError`.
   */
  user: { sub: string; [claim: string]: unknown }
  /**
   * How the user authenticated, as RFC 8176 values: a passkey is `['pop', 'user']`, plus `'mfa'`
   * when the authenticator verified the user (PIN or biometric). Kept as the session's `amr`.
   */
  amr: readonly string[]
  /** An authentication context class for the session's `acr`, if your policy names one. Default: none. */
  acr?: string
  /** The application's data, kept as `session.data` (as `onLogin` can return). Default: none. */
  data?: SessionAppData
}

/** What `auth.stepUp` records of a fresh authentication of the signed-in user. */
export interface StepUpOptions {
  /** The user who just authenticated: must be the session's `sub` (else `ERR_STEP_UP_WRONG_USER`, 403). */
  sub: string
  /** How they authenticated (RFC 8176): replaces the session's `amr`, which describes its `auth_time`. */
  amr: readonly string[]
  /**
   * The `acr` of this authentication. Default: none, and the session's previous `acr` is dropped:
   * `acr` and `auth_time` describe the same authentication (RFC 9470), so a fresh `auth_time` must
   * not carry the class of an older, possibly stronger, login.
   */
  acr?: string
}

/** A session written by `signIn` or `stepUp`, and the `Set-Cookie` lines the response must carry. */
export interface EstablishedSession {
  session: Session
  cookies: string[]
}

export interface SignInContext {
  config: AuthConfig
  site: Site
  cookies: Map<string, string>
  sessions: SessionCookies
  resolver: SessionResolver
  /** The `iss` of the sessions `signIn` writes. */
  issuer: string
}

const RESERVED = new Set(['iss', 'auth_time', 'amr', 'acr', 'sid', 'iat', ...PROTOCOL_CLAIMS])
/** RFC 8176 values are short registered names; anything else printable and space-free is a local one. */
const AMR_VALUE = /^[\x21-\x7E]{1,64}$/
/** As `acr_values` (RFC 9470): a visible ASCII word. */
const ACR_VALUE = /^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/

function checkAmr(amr: unknown): string[] {
  if (!Array.isArray(amr) || amr.length === 0 || amr.length > 16) {
    throw new TypeError('"amr" must be a list of 1 to 16 RFC 8176 values')
  }
  for (const value of amr) {
    if (typeof value !== 'string' || !AMR_VALUE.test(value))
      throw new TypeError('"amr" holds an invalid value')
  }
  return [...new Set(amr as string[])]
}

function checkAcr(acr: unknown): string | undefined {
  if (acr === undefined) return undefined
  if (typeof acr !== 'string' || !ACR_VALUE.test(acr)) throw new TypeError('"acr" is not a valid acr value')
  return acr
}

function checkSub(sub: unknown): string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) {
    throw new TypeError('"sub" must be a string of 1 to 255 characters')
  }
  return sub
}

/** As `onLogin`'s `data`: a plain JSON object of at most 4096 characters (it travels in every cookie). */
function appData(data: unknown): SessionAppData {
  const text = JSON.stringify(data)
  if (typeof data !== 'object' || data === null || Array.isArray(data) || text.length > 4096) {
    throw new TypeError('"data" must be a JSON object of at most 4096 characters')
  }
  return JSON.parse(text) as SessionAppData
}

/** Only this application's pages may change who is signed in (login CSRF, as logout checks). */
function requireSameOrigin(request: RequestLike, site: Site): void {
  if (!isSameOrigin(request, site.origin)) {
    throw new SessionError('ERR_CROSS_SITE_REQUEST', 'Signing in must come from this application', 403)
  }
}

/**
 * Writes a new session for `options.user`. Like the login callback, it never reuses the session
 * the browser had (session fixation): the previous one is forgotten and, with a store, deleted.
 * The session has no tokens: `sessionFetch` answers `ERR_ACCESS_TOKEN_MISSING`, nothing is
 * refreshed, and logout ends it here only (there is no provider session to end).
 */
export async function signIn(
  ctx: SignInContext,
  request: RequestLike,
  options: SignInOptions,
): Promise<EstablishedSession> {
  if (typeof options !== 'object' || options === null) throw new TypeError('signIn needs options')
  const { user } = options
  if (typeof user !== 'object' || user === null) throw new TypeError('"user" must be an object of claims')
  const sub = checkSub(user.sub)
  for (const claim of Object.keys(user)) {
    if (RESERVED.has(claim)) throw new TypeError(`"user.${claim}" is set by the session, not by the caller`)
  }
  const amr = checkAmr(options.amr)
  const acr = checkAcr(options.acr)
  requireSameOrigin(request, ctx.site)
  const now = Math.floor(ctx.config.now() / 1000)
  const label = userAgentLabel(request.headers.get('user-agent'))
  // A JSON copy: the caller's objects changing later do not reach the session.
  const claims = JSON.parse(JSON.stringify(user)) as Record<string, unknown>
  const fresh: SessionData = {
    id: randomToken(24),
    user: { ...claims, sub, iss: ctx.issuer, auth_time: now, amr, ...(acr === undefined ? {} : { acr }) },
    tokens: {},
    ...(options.data === undefined ? {} : { data: appData(options.data) }),
    ...(label === undefined ? {} : { userAgent: label }),
    createdAt: now,
    expiresAt: now + ctx.config.maxAge,
  }
  const previous = await ctx.sessions.read(ctx.site, ctx.cookies)
  if (previous !== undefined) {
    ctx.resolver.forget(previous.session.id)
    await ctx.config.store?.delete(previous.session.id)
  }
  const written = await ctx.sessions.write(ctx.site, ctx.cookies, fresh)
  return { session: publicSession(written.session), cookies: written.cookies }
}

/**
 * Records a fresh authentication of the signed-in user in their session: `auth_time` now, `amr`
 * (and `acr` when given) as said. The session keeps its id, tokens and absolute end: the user is
 * the same (checked), so nothing an attacker could have planted gains from it, and with a store
 * the write goes through `update`, so a session revoked meanwhile is not brought back.
 */
export async function stepUp(
  ctx: SignInContext,
  request: RequestLike,
  options: StepUpOptions,
): Promise<EstablishedSession> {
  if (typeof options !== 'object' || options === null) throw new TypeError('stepUp needs options')
  const sub = checkSub(options.sub)
  const amr = checkAmr(options.amr)
  const acr = checkAcr(options.acr)
  requireSameOrigin(request, ctx.site)
  const read = await ctx.sessions.read(ctx.site, ctx.cookies)
  if (read === undefined) throw new SessionError('ERR_SESSION_REQUIRED', 'Sign-in required', 401)
  if (read.session.user.sub !== sub) {
    throw new SessionError('ERR_STEP_UP_WRONG_USER', 'Another user authenticated', 403)
  }
  const now = Math.floor(ctx.config.now() / 1000)
  const updated: SessionData = {
    ...read.session,
    user: { ...withoutAcr(read.session.user), auth_time: now, amr, ...(acr === undefined ? {} : { acr }) },
  }
  const written = await ctx.sessions.rewrite(ctx.site, ctx.cookies, updated)
  if (written === undefined) throw new SessionError('ERR_SESSION_REQUIRED', 'Sign-in required', 401)
  return { session: publicSession(written.session), cookies: written.cookies }
}

/**
 * The `iss` of locally established sessions: `localIssuer`, else the application's origin. It
 * must never be the provider's issuer, or a passkey session would pass for the provider's login
 * (and a back-channel logout from the provider would name it).
 */
export function localIssuerOf(
  configured: string | undefined,
  site: Site,
  providerIssuer: string | undefined,
): string {
  const issuer = configured ?? site.origin
  // Compared as URLs without a trailing slash: `https://idp.example` and `https://idp.example/`
  // name the same issuer to a reader of the claims.
  if (providerIssuer !== undefined && sameIssuer(issuer, providerIssuer)) {
    throw new ConfigurationError(
      '"localIssuer" must differ from the provider\'s issuer: set it to a URL of this application',
    )
  }
  return issuer
}

function withoutAcr<U extends Record<string, unknown>>(user: U): U {
  const { acr: _previous, ...rest } = user
  return rest as U
}

function sameIssuer(a: string, b: string): boolean {
  const normal = (value: string) => (URL.canParse(value) ? new URL(value).href : value).replace(/\/+$/, '')
  return normal(a) === normal(b)
}
