import type { AuthError } from '../errors.js'
import type { OAuthClient } from '../oauth/client.js'
import type { DiscoverOAuthClientOptions } from '../oauth/client-options.js'
import type { OnLogin } from './login-hook.js'
import type { OneTimeStore } from './one-time-store.js'
import type { SessionStore } from './session-store.js'

/** Session cookie and lifetime options of {@link AuthOptions}. */
export interface SessionOptions {
  /**
   * Secrets the session and transaction cookies are sealed with (HKDF → A256GCM), at least 32
   * characters each. A list rotates them: the first seals, every one unseals, and a session sealed
   * with an older secret is resealed with the first on its next write. Required.
   */
  secrets: string | readonly string[]
  /**
   * With `NODE_ENV=production`, secrets published in documentation, marked as development values
   * (`…-not-for-production`) or with fewer than 10 distinct characters are refused at start-up:
   * anyone who knows one can forge sessions. `true` accepts them anyway (the explicit opt-out).
   * Default: `false`.
   */
  allowWeakSecrets?: boolean
  /**
   * Name of the session cookie. On https (and any host but loopback) it gets the `__Host-`
   * prefix, which pins it to this exact host, path `/`, and Secure. Default: `auth.session`.
   */
  cookieName?: string
  /** Idle lifetime in seconds: a session unused this long ends. Default: 86,400 (one day). */
  maxAge?: number
  /**
   * Whether activity extends the session by `maxAge` (up to `absoluteDuration`). With `false`
   * the session ends `maxAge` after login. Default: `true`.
   */
  rolling?: boolean
  /** Longest life of a session in seconds, activity or not. Default: 604,800 (seven days). */
  absoluteDuration?: number
  /**
   * Server-side store. With one, the cookie holds only a sealed session id and the tokens stay on
   * the server (pass `new MemorySessionStore()` for one process, or your own on a shared database).
   * Default: none, the whole sealed session travels in the cookie.
   */
  store?: SessionStore
  /**
   * Most cookies one session may be split into (about 3.8 kB each). A session that needs more
   * fails the login with `ERR_SESSION_TOO_LARGE`: use a `store` then. At most 16. Default: 4.
   */
  maxChunks?: number
}

/** Route paths of {@link AuthOptions}, relative to `basePath`. */
export interface AuthRoutes {
  /** Starts a login (GET; `?returnTo=/path`). Default: `/login`. */
  login?: string
  /** The redirect URI registered at the provider (GET, and POST for `form_post`). Default: `/callback`. */
  callback?: string
  /** Ends the session (POST from this origin, or a same-origin GET navigation). Default: `/logout`. */
  logout?: string
  /** JSON of the signed-in user (never tokens), 401 without a session. Default: `/session`. */
  session?: string
  /**
   * The provider's back-channel logout POSTs (with `backchannelLogout` on): register its absolute
   * URL as the client's `backchannel_logout_uri`. Default: `/backchannel-logout`.
   */
  backchannelLogout?: string
}

/**
 * OpenID Connect Back-Channel Logout 1.0 (`backchannelLogout` of {@link AuthOptions}): the
 * provider POSTs a signed logout token when the user signs out there (or the provider ends their
 * session), and the sessions it names end here on the spot.
 */
export interface BackchannelLogoutOptions {
  /**
   * Oldest logout token accepted, in seconds from its `iat`: providers send the token the moment
   * they make it (oidc-provider's live 120 s), and its `jti` is remembered this long in the
   * `oneTimeStore` so it cannot be replayed. Default: 300.
   */
  maxTokenAge?: number
}

/** Options of `createAuth`. Give either `client`, or `issuer` + `clientId` (+ `clientSecret`). */
export interface AuthOptions {
  /** A configured OAuth client (or a promise of one, e.g. `OAuthClient.discover(...)`). */
  client?: OAuthClient | Promise<OAuthClient>
  /** Issuer to discover on first use (retried on the next request when discovery fails). */
  issuer?: string
  /** `client_id`, with `issuer`. */
  clientId?: string
  /** `client_secret` (sent with HTTP Basic), with `issuer`. Default: none, a public client with PKCE. */
  clientSecret?: string
  /** More client options (fetch, timeout, clientAuthentication...), with `issuer`. Default: none. */
  clientOptions?: Omit<DiscoverOAuthClientOptions, 'clientId' | 'clientSecret' | 'redirectUri'>
  /**
   * Public origin of the application, e.g. `https://app.example.com`: the redirect URI, the
   * origin check and the cookie attributes (`Secure`, `__Host-`) follow from it, never from the
   * `Host` header. Required with `NODE_ENV=production` (unless `trustHost`). Default: none; then
   * only requests to a loopback origin (`http://localhost:3000`, local development) are served,
   * others answer `ERR_BASE_URL_REQUIRED` (421 Misdirected Request).
   */
  baseUrl?: string
  /**
   * Take the application's origin from each request (its `Host`, or what the framework or Node
   * bridge derived from `X-Forwarded-*`) when `baseUrl` is not set. Only behind a proxy that
   * sets or checks `Host`: a forged `Host` would choose the redirect URI. Default: `false`.
   */
  trustHost?: boolean
  /** Path the routes are mounted under. Default: `/auth`. */
  basePath?: string
  /** Route paths under `basePath`. */
  routes?: AuthRoutes
  /** Scopes of the login. Add `offline_access` for a refresh token. Default: `openid profile email`. */
  scopes?: readonly string[]
  /** RFC 8707 resource(s) the access token is for (your API). Default: not sent. */
  resource?: string | readonly string[]
  /** Extra authorization parameters (`audience`, `prompt`, `acr_values`...). Default: none. */
  authorizationParams?: Record<string, string>
  session: SessionOptions
  /**
   * Single-use claims shared by the application's instances: which one refreshes a session's
   * tokens, so a rotated refresh token is never replayed by another (the provider would refuse it
   * and may revoke the grant); and each login callback's state, so a replayed callback is refused
   * on every instance before its code is exchanged. Implement it on a shared database when several
   * instances serve the same users. Default: a `MemoryOneTimeStore` (this process).
   */
  oneTimeStore?: OneTimeStore
  /** Login transaction cookies (state, nonce and PKCE verifier between login and callback). */
  transaction?: {
    /** Seconds a login may take. Default: 600. */
    maxAge?: number
    /**
     * Logins in flight per browser; starting one more drops the oldest. At most 16: a login looks
     * at no more than 16 transaction cookies, so forged ones cannot inflate its work or its answer.
     * Default: 3.
     */
    maxConcurrent?: number
  }
  /** Where a login returns when it has no (valid) `returnTo`. Default: `/`. */
  afterLogin?: string
  /** Where logout returns (registered as `post_logout_redirect_uri` at the provider). Default: `/`. */
  afterLogout?: string
  /**
   * Whether logout also ends the provider session (RP-Initiated Logout with `id_token_hint`).
   * Default: `true` when the provider has an `end_session_endpoint`.
   */
  idpLogout?: boolean
  /**
   * Serve OpenID Connect Back-Channel Logout at `routes.backchannelLogout`: `true`, or options.
   * Needs `session.store` with `listUserSessions` (`MemorySessionStore` has it): a session kept
   * whole in its cookie cannot be ended from the server, so cookie-only mode refuses this option
   * (`ERR_SESSION_STORE_REQUIRED`). Register `auth.registrationMetadata()`'s
   * `backchannel_logout_uri` (and `backchannel_logout_session_required: true`) at the provider.
   * Default: off (the route answers 404).
   */
  backchannelLogout?: boolean | BackchannelLogoutOptions
  /**
   * Whether logout revokes the session's refresh token (RFC 7009) when the provider has a
   * `revocation_endpoint`. Best effort: a failure does not stop the logout. Default: `true`.
   */
  revokeOnLogout?: boolean
  /** Refresh the access token this many seconds before it expires (needs a refresh token). Default: 60. */
  refreshBefore?: number
  /**
   * Called once per login, after the provider's answer is verified and before the session is
   * written: return `false` to refuse the user (`ERR_LOGIN_REFUSED`, 403; the grant is revoked),
   * `{ user }` to change the claims the session keeps (not `sub`), `{ data }` to keep data of
   * your own as `session.data`, `{ returnTo }` for another same-origin path. Default: none.
   */
  onLogin?: OnLogin
  /**
   * Renders a failed login route (the error page). Return `undefined` for the default: a small
   * HTML page with the stable error code, never the provider's description.
   */
  onError?: (error: AuthError, request: Request) => Response | undefined | Promise<Response | undefined>
  /**
   * Keep DPoP-bound tokens (RFC 9449) in the sessions, so an access or refresh token copied out
   * of a session (a log, an API that received it) is useless without the key.
   * - `'session'`: a key per session, made at login and kept as a private JWK in the session
   *   (sealed into the cookie, or in the store). A leaked key exposes one session; keys survive
   *   restarts with their sessions; a session grows by about 250 bytes.
   * - `'client'`: the OAuth client's own key (its `dpop` option; with `issuer`, a key generated
   *   per process unless `clientOptions.dpop` gives one). Nothing more in the session, but one
   *   key for every session, and with a generated key every session's tokens die on restart:
   *   pass a persistent key (`importDpopKey`) in production.
   * The session's refresh and `auth.sessionFetch` sign proofs with it. Default: off
   * (Bearer tokens, unless the given client has a `dpop` key: its DPoP tokens are kept as such).
   */
  dpop?: 'session' | 'client'
  /**
   * The `iss` claim of sessions the application establishes itself (`auth.signIn`, e.g. a passkey
   * sign-in), so they are never taken for the provider's logins (a provider's back-channel logout
   * names its own issuer and leaves them alone). An absolute URL that differs from the provider's
   * issuer. Default: the application's origin (`baseUrl`, or the request's loopback origin).
   */
  localIssuer?: string
  /** Clock in epoch milliseconds, for tests. Default: `Date.now`. */
  now?: () => number
}
