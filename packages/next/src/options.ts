import {
  type Auth,
  type AuthOptions,
  type BearerVerifier,
  ConfigurationError,
  createAuth,
  type ErrorResponseOptions,
  isAuthError,
  type ProtectedResource,
  resolveVerifier,
  type TokenVerifierOptions,
} from '@org/auth-core'

/** The bearer side of the options: what `withAuth` needs. */
interface BearerOptions {
  /**
   * Verifies the bearer tokens of `withAuth` route handlers: `createTokenVerifier` options (a
   * verifier is created once) or any verifier / resource server. Default: none, and calling
   * `withAuth` then throws a `ConfigurationError`.
   */
  verifier?: TokenVerifierOptions | BearerVerifier
  /** `realm` of the `WWW-Authenticate` challenges `withAuth` answers with. Default: none. */
  realm?: string
  /**
   * The API's protected resource metadata (RFC 9728, `protectedResource()` from
   * `@org/auth-core`): every `withAuth` challenge names it in `resource_metadata`. Serve the
   * document with `protectedResourceRoute(resource)`. Default: none.
   */
  protectedResource?: ProtectedResource
}

/**
 * Options of `createNextAuth` with a login: the `createAuth` options of `@org/auth-core`
 * (client, session, routes...; documented there), a Next.js default for `basePath`, and the
 * bearer verifier of `withAuth`.
 */
export interface NextAuthLoginOptions extends AuthOptions, BearerOptions {
  /**
   * Path the login routes live under; the catch-all route file must sit at the same place
   * (`app/api/auth/[...auth]/route.ts` for the default). The provider's registered redirect URI
   * is `<origin><basePath>/callback`. Default: `/api/auth`.
   */
  basePath?: string
}

/**
 * Options of a bearer-only `createNextAuth`: a verifier and no login (no client, no session
 * secrets). `withAuth` works; the login routes, the session readers, `withSession` and the proxy
 * throw a `ConfigurationError` with code `ERR_LOGIN_NOT_CONFIGURED` when used.
 */
export type NextAuthBearerOnlyOptions = Required<Pick<BearerOptions, 'verifier'>> &
  Pick<BearerOptions, 'realm' | 'protectedResource'> & {
    [K in keyof NextAuthLoginOptions as K extends keyof BearerOptions ? never : K]?: never
  }

/** Options of `createNextAuth`: a login (and optionally a verifier), or a verifier alone. */
export type NextAuthOptions = NextAuthLoginOptions | NextAuthBearerOnlyOptions

/** What `createNextAuth` takes: options, or a function returning them, called on first use. */
export type NextAuthConfig = NextAuthOptions | (() => NextAuthOptions)

/** The verifier side of the adapter: what `withAuth` needs, and nothing of the login. */
export interface BearerSettings {
  readonly verifier: BearerVerifier | undefined
  /** `realm` and `resource_metadata` of `withAuth`'s challenges. */
  readonly errorResponse: ErrorResponseOptions
  /** The public origin for the DPoP `htu` check: that of the login's `baseUrl`, when set. */
  readonly origin: string | undefined
}

/**
 * The adapter's state, in two parts created independently: a bearer-only route keeps working
 * whatever becomes of the login's configuration, and the reverse.
 */
export interface NextAuthInstance {
  /** The login's `Auth`; `undefined` when the options configure none (bearer-only). Throws when they are invalid. */
  login(): Auth | undefined
  /** `withAuth`'s verifier and realm. Throws when the verifier options are invalid. */
  bearer(): BearerSettings
  /**
   * What options given as an object declare, known before anything is created; `undefined`
   * for a function (nothing is known until it is called).
   */
  readonly declared: { readonly login: boolean; readonly verifier: boolean } | undefined
}

/** The default route location of Next.js apps: `app/api/auth/[...auth]/route.ts`. */
export const DEFAULT_BASE_PATH = '/api/auth'

/** The code of the error thrown by what needs a login when the options configure none. */
const LOGIN_NOT_CONFIGURED = 'ERR_LOGIN_NOT_CONFIGURED'

/** Thrown where a login is needed (routes, sessions, proxy) and the options configure none. */
export function loginNotConfigured(): ConfigurationError {
  return new ConfigurationError(
    'createNextAuth has no login configured ("issuer" and "clientId", or "client", and "session.secrets"): ' +
      'the login routes, getSession*, requireSession, withSession and the proxy need one; withAuth needs only "verifier"',
    { code: LOGIN_NOT_CONFIGURED },
  )
}

/** Options that configure nothing of the login: with only these, the adapter is bearer-only. */
const BEARER_ONLY_KEYS = new Set(['verifier', 'realm', 'protectedResource'])

/** Whether the options configure a login: any option besides the verifier's (then checked by `createAuth`). */
function declaresLogin(options: NextAuthOptions): boolean {
  return Object.entries(options).some(([key, value]) => value !== undefined && !BEARER_ONLY_KEYS.has(key))
}

function buildLogin(options: NextAuthOptions): Auth | undefined {
  if (!declaresLogin(options)) return undefined
  // Copied, never mutated: the caller's object may be shared.
  const {
    verifier: _verifier,
    realm: _realm,
    protectedResource: _resource,
    ...login
  } = options as NextAuthLoginOptions
  // A missing `session` or client is `createAuth`'s to name (ERR_INVALID_OPTION).
  return createAuth({ ...login, basePath: login.basePath ?? DEFAULT_BASE_PATH })
}

function buildBearer(options: NextAuthOptions): BearerSettings {
  const { verifier, realm, protectedResource } = options
  if (protectedResource !== undefined && typeof protectedResource?.metadataUrl !== 'string') {
    throw new ConfigurationError('"protectedResource" must come from protectedResource() of @org/auth-core')
  }
  const resourceMetadata = protectedResource?.metadataUrl
  const { baseUrl } = options as { baseUrl?: unknown }
  // The app's public origin: behind a proxy, request.url may name the internal host.
  const origin = typeof baseUrl === 'string' && URL.canParse(baseUrl) ? new URL(baseUrl).origin : undefined
  return Object.freeze({
    verifier: verifier === undefined ? undefined : resolveVerifier(verifier),
    errorResponse: Object.freeze({
      ...(realm === undefined ? {} : { realm }),
      ...(resourceMetadata === undefined ? {} : { resourceMetadata }),
    }),
    origin,
  })
}

/** `next build` sets this phase while it loads route modules to collect page data and prerender. */
function duringNextBuild(): boolean {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return process?.env?.['NEXT_PHASE'] === 'phase-production-build'
}

/** Set once warned: on the global, since a bundler may load this module once per route. */
const WARNED = Symbol.for('@org/auth-next.deferred-warning')

/** Once per process: a build log that says the configuration waits for run time, and why. */
function warnDeferred(error: { code: string; message: string }): void {
  const holder = globalThis as { [WARNED]?: true }
  if (holder[WARNED]) return
  holder[WARNED] = true
  console.warn(
    `@org/auth-next: during "next build" the configuration is invalid (${error.code}: ${error.message}). ` +
      "The build goes on (its environment often lacks the run time's secrets); the options are checked again " +
      'on first use at run time, where this error fails every use that needs them.',
  )
}

/**
 * One part of the state: created now when it can be, else on each use until it succeeds (a
 * part that throws is never cached: every use fails closed, with the same error).
 */
function part<T>(create: () => T, now: 'now' | 'try' | 'later'): () => T {
  let created: { value: T } | undefined
  if (now === 'now') created = { value: create() }
  if (now === 'try') {
    try {
      created = { value: create() }
    } catch (error) {
      if (!isAuthError(error)) throw error
      warnDeferred(error)
    }
  }
  return () => {
    created ??= { value: create() }
    return created.value
  }
}

/**
 * The state, created now from options (a bad option throws here, at start-up), or on first use
 * from a function (for settings only known at run time). During `next build` options are tried
 * but not enforced: a build environment without the run time's secrets (`SESSION_SECRET`
 * unset, so `secrets: ''`) must still build. The checks are the same at run time, on first use.
 */
export function instanceOf(config: NextAuthConfig): NextAuthInstance {
  if (typeof config === 'function') {
    return {
      login: part(() => buildLogin(config()), 'later'),
      bearer: part(() => buildBearer(config()), 'later'),
      declared: undefined,
    }
  }
  const when = duringNextBuild() ? 'try' : 'now'
  return {
    login: part(() => buildLogin(config), when),
    bearer: part(() => buildBearer(config), when),
    declared: { login: declaresLogin(config), verifier: config.verifier !== undefined },
  }
}
