/**
 * `createAuth` options, checked once at start-up (an error names the option) and resolved to
 * defaults, plus the per-request "site": the application's origin and the cookie attributes that
 * follow from it.
 */
import { ConfigurationError, SessionError } from '../errors.js'
import { isProduction } from '../lib/environment.js'
import type { AuthOptions } from './auth-options.js'
import { type CookieAttributes, MAX_CHUNKS } from './cookies.js'
import type { OnLogin } from './login-hook.js'
import { MemoryOneTimeStore, type OneTimeStore } from './one-time-store.js'
import type { RequestLike } from './request-like.js'
import { checkSecrets } from './seal.js'
import type { SessionStore } from './session-store.js'
import { MAX_TRANSACTION_COOKIES } from './transaction.js'

export interface AuthConfig {
  baseUrl: string | undefined
  trustHost: boolean
  paths: { login: string; callback: string; logout: string; session: string; backchannelLogout: string }
  /** Back-Channel Logout, when on. */
  backchannelLogout: { maxTokenAge: number } | undefined
  scopes: string
  resource: string | readonly string[] | undefined
  authorizationParams: Record<string, string> | undefined
  /** `response_mode=form_post`: the callback is a cross-site POST. */
  formPost: boolean
  secrets: readonly string[]
  cookieName: string
  maxAge: number
  rolling: boolean
  absoluteDuration: number
  store: SessionStore | undefined
  oneTimeStore: OneTimeStore
  /** Where callback states are consumed: the `oneTimeStore` given, else a store of their own. */
  callbackStore: OneTimeStore
  maxChunks: number
  transactionMaxAge: number
  maxConcurrentLogins: number
  afterLogin: string
  afterLogout: string
  idpLogout: boolean | undefined
  revokeOnLogout: boolean
  refreshBefore: number
  onLogin: OnLogin | undefined
  /** Where the sessions' DPoP key comes from, when DPoP is asked for. */
  dpop: 'session' | 'client' | undefined
  /** The `iss` of sessions `signIn` writes, when set (else the site's origin). */
  localIssuer: string | undefined
  now: () => number
}

/** Where the app is and how its cookies are set, for one request. */
export interface Site {
  origin: string
  cookie: CookieAttributes
  /** Cookie name prefix: `__Host-` when Secure, else none (http://localhost in development). */
  prefix: string
}

const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,64}$/

function integer(
  value: unknown,
  option: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      max === Number.MAX_SAFE_INTEGER
        ? `"${option}" must be an integer >= ${min}`
        : `"${option}" must be an integer from ${min} to ${max}`,
    )
  }
  return value
}

function path(value: unknown, option: string, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9\-._~/]*$/.test(value) || value.includes('//')) {
    throw new ConfigurationError(`"${option}" must be a path starting with "/"`)
  }
  return value
}

function joinPath(base: string, route: string): string {
  return `${base === '/' ? '' : base.replace(/\/$/, '')}${route}`
}

function origin(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw new ConfigurationError('"baseUrl" must be an absolute http(s) URL')
  }
  const url = new URL(value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError('"baseUrl" must be an absolute http(s) URL')
  }
  return url.origin
}

function hook(value: unknown): OnLogin | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new ConfigurationError('"onLogin" must be a function')
  return value as OnLogin
}

/**
 * Back-Channel Logout ends sessions from the server, which needs them there: a store that finds
 * a user's sessions. In cookie mode a session lives only in its browser's cookie, and the one-time
 * store (set-if-absent) cannot hold a revocation list that every request would consult.
 */
function backchannelLogout(
  value: AuthOptions['backchannelLogout'],
  store: SessionStore | undefined,
): AuthConfig['backchannelLogout'] {
  if (value === undefined || value === false) return undefined
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new ConfigurationError('"backchannelLogout" must be true, false or an options object')
  }
  if (typeof store?.listUserSessions !== 'function') {
    throw new ConfigurationError(
      '"backchannelLogout" needs "session.store" with listUserSessions (MemorySessionStore, or a shared store that indexes sessions by user): a session kept whole in its cookie cannot be ended from the server',
      { code: 'ERR_SESSION_STORE_REQUIRED' },
    )
  }
  const options = value === true ? {} : value
  return { maxTokenAge: integer(options.maxTokenAge, 'backchannelLogout.maxTokenAge', 300, 1, 3600) }
}

export function resolveConfig(options: AuthOptions): AuthConfig {
  if (typeof options !== 'object' || options === null)
    throw new ConfigurationError('createAuth needs options')
  const session = options.session
  if (typeof session !== 'object' || session === null) {
    throw new ConfigurationError('"session" is required (at least "session.secrets")')
  }
  const cookieName = session.cookieName ?? 'auth.session'
  if (!COOKIE_NAME.test(cookieName) || cookieName.startsWith('__')) {
    throw new ConfigurationError('"session.cookieName" must be a cookie token without a "__" prefix')
  }
  const basePath = path(options.basePath, 'basePath', '/auth')
  const routes = options.routes ?? {}
  const paths = {
    login: joinPath(basePath, path(routes.login, 'routes.login', '/login')),
    callback: joinPath(basePath, path(routes.callback, 'routes.callback', '/callback')),
    logout: joinPath(basePath, path(routes.logout, 'routes.logout', '/logout')),
    session: joinPath(basePath, path(routes.session, 'routes.session', '/session')),
    backchannelLogout: joinPath(
      basePath,
      path(routes.backchannelLogout, 'routes.backchannelLogout', '/backchannel-logout'),
    ),
  }
  if (new Set(Object.values(paths)).size !== 5)
    throw new ConfigurationError('"routes" must be five distinct paths')
  const scopes = options.scopes ?? ['openid', 'profile', 'email']
  if (!Array.isArray(scopes) || !scopes.includes('openid')) {
    throw new ConfigurationError('"scopes" must be a list that includes "openid" (a login needs an ID token)')
  }
  const maxAge = integer(session.maxAge, 'session.maxAge', 86_400)
  const absoluteDuration = integer(session.absoluteDuration, 'session.absoluteDuration', 604_800)
  if (absoluteDuration < maxAge && session.rolling !== false) {
    throw new ConfigurationError('"session.absoluteDuration" must be at least "session.maxAge"')
  }
  const baseUrl = origin(options.baseUrl)
  const trustHost = options.trustHost === true
  if (baseUrl === undefined && !trustHost && isProduction()) {
    throw new ConfigurationError(
      '"baseUrl" (the public origin, e.g. https://app.example.com) is required in production: without it the Host header would pick the redirect URI and the cookie attributes. Behind a proxy that sets Host, "trustHost: true" takes each request\'s origin instead',
    )
  }
  if (session.store !== undefined && typeof session.store.update !== 'function') {
    // Not refused (a store from before `update` existed still serves sessions), but said at start-up.
    console.warn(
      '@org/auth-core: "session.store" has no update(): a request that read a session just before it was revoked can write it back. Implement update() (replace only while still stored).',
    )
  }
  return {
    baseUrl,
    trustHost,
    paths,
    backchannelLogout: backchannelLogout(options.backchannelLogout, session.store),
    scopes: scopes.join(' '),
    resource: options.resource,
    authorizationParams: options.authorizationParams,
    formPost: options.authorizationParams?.['response_mode'] === 'form_post',
    secrets: checkSecrets(session.secrets, 'session.secrets', session.allowWeakSecrets === true),
    cookieName,
    maxAge,
    rolling: session.rolling !== false,
    absoluteDuration,
    store: session.store,
    oneTimeStore: options.oneTimeStore ?? new MemoryOneTimeStore({ now: options.now ?? Date.now }),
    // Apart from the refresh claims by default, so callbacks anyone can send (a login, then its
    // `?error=` callback) can never fill the store that refreshes need; full, it forgets the oldest
    // state (the code is single-use at the provider anyway) rather than refuse every login.
    callbackStore:
      options.oneTimeStore ?? new MemoryOneTimeStore({ now: options.now ?? Date.now, whenFull: 'evict' }),
    maxChunks: integer(session.maxChunks, 'session.maxChunks', 4, 1, MAX_CHUNKS),
    transactionMaxAge: integer(options.transaction?.maxAge, 'transaction.maxAge', 600),
    maxConcurrentLogins: integer(
      options.transaction?.maxConcurrent,
      'transaction.maxConcurrent',
      3,
      1,
      MAX_TRANSACTION_COOKIES,
    ),
    afterLogin: path(options.afterLogin, 'afterLogin', '/'),
    afterLogout: path(options.afterLogout, 'afterLogout', '/'),
    idpLogout: options.idpLogout,
    revokeOnLogout: options.revokeOnLogout !== false,
    refreshBefore: integer(options.refreshBefore, 'refreshBefore', 60, 0),
    onLogin: hook(options.onLogin),
    dpop: dpopMode(options.dpop),
    localIssuer: localIssuer(options),
    now: options.now ?? Date.now,
  }
}

function localIssuer(options: AuthOptions): string | undefined {
  const value = options.localIssuer
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^https?:\/\//.test(value) || !URL.canParse(value)) {
    throw new ConfigurationError('"localIssuer" must be an absolute http(s) URL')
  }
  if (value === options.issuer) {
    throw new ConfigurationError('"localIssuer" must differ from "issuer" (the provider\'s)')
  }
  return value
}

function dpopMode(value: unknown): AuthConfig['dpop'] {
  if (value === undefined || value === 'session' || value === 'client') return value
  throw new ConfigurationError('"dpop" must be "session" or "client"')
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/**
 * The site of an origin. Cookies are Secure with the `__Host-` prefix everywhere except plain
 * http on a loopback host (local development), where a browser would drop a Secure cookie.
 */
function siteAt(origin: string): Site {
  const url = new URL(origin)
  const secure = !(url.protocol === 'http:' && isLoopback(url.hostname))
  return {
    origin: url.origin,
    cookie: { path: '/', secure, httpOnly: true, sameSite: 'Lax' },
    prefix: secure ? '__Host-' : '',
  }
}

/**
 * `siteOf(request)` for a config: with `baseUrl` the site is fixed and computed once; with
 * `trustHost` it is each request's origin; with neither, only a loopback origin (local
 * development) is taken from the request, and any other answers `ERR_BASE_URL_REQUIRED`: a
 * forged `Host` must not choose the redirect URI or drop the `Secure` attribute.
 */
export function siteResolver(config: AuthConfig): (request: RequestLike) => Site {
  if (config.baseUrl !== undefined) {
    const fixed = siteAt(config.baseUrl)
    return () => fixed
  }
  if (config.trustHost) return (request) => siteAt(request.url)
  return (request) => {
    const url = new URL(request.url)
    if (isLoopback(url.hostname)) return siteAt(url.origin)
    // 421 Misdirected Request (RFC 9110 §15.5.20): not an origin this application answers for.
    throw new SessionError(
      'ERR_BASE_URL_REQUIRED',
      // The Host is request input: not echoed in a message that may reach the client.
      'A request for a non-loopback host reached an application without "baseUrl": set "baseUrl" to the public origin (or "trustHost: true" behind a proxy that sets Host)',
      421,
    )
  }
}
