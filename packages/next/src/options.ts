import {
  type Auth,
  type AuthOptions,
  type BearerVerifier,
  createAuth,
  resolveVerifier,
  type TokenVerifierOptions,
} from '@org/auth-core'

/**
 * Options of `createNextAuth`: the `createAuth` options of `@org/auth-core` (client, session,
 * routes...; documented there), a Next.js default for `basePath`, and the bearer verifier of
 * `withAuth`.
 */
export interface NextAuthOptions extends AuthOptions {
  /**
   * Path the login routes live under; the catch-all route file must sit at the same place
   * (`app/api/auth/[...auth]/route.ts` for the default). The provider's registered redirect URI
   * is `<origin><basePath>/callback`. Default: `/api/auth`.
   */
  basePath?: string
  /**
   * Verifies the bearer tokens of `withAuth` route handlers: `createTokenVerifier` options (a
   * verifier is created once) or any verifier / resource server. Default: none, and calling
   * `withAuth` then throws a `ConfigurationError`.
   */
  verifier?: TokenVerifierOptions | BearerVerifier
  /** `realm` of the `WWW-Authenticate` challenges `withAuth` answers with. Default: none. */
  realm?: string
}

/** What `createNextAuth` takes: options, or a function returning them, called on first use. */
export type NextAuthConfig = NextAuthOptions | (() => NextAuthOptions)

/** The adapter's state, created from the options once. */
export interface NextAuthInstance {
  readonly auth: Auth
  readonly verifier: BearerVerifier | undefined
  readonly realm: string | undefined
}

/** The default route location of Next.js apps: `app/api/auth/[...auth]/route.ts`. */
export const DEFAULT_BASE_PATH = '/api/auth'

function build(options: NextAuthOptions): NextAuthInstance {
  // Copied, never mutated: the caller's object may be shared.
  const { verifier, realm, ...login } = options
  return Object.freeze({
    auth: createAuth({ ...login, basePath: login.basePath ?? DEFAULT_BASE_PATH }),
    verifier: verifier === undefined ? undefined : resolveVerifier(verifier),
    realm,
  })
}

/**
 * The instance, created now from options (a bad option throws here, at start-up), or on first
 * use from a function (for settings only known at run time). A function that throws is called
 * again by the next request: until it succeeds, every use fails closed.
 */
export function instanceOf(config: NextAuthConfig): () => NextAuthInstance {
  if (typeof config !== 'function') {
    const instance = build(config)
    return () => instance
  }
  let created: NextAuthInstance | undefined
  return () => {
    created ??= build(config())
    return created
  }
}
