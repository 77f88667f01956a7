import type { RequestListener } from 'node:http'
import type { JWK } from 'jose'
import type { AuthorizeAs, CookieJar } from './browser.js'
import type { DevIdpClients } from './clients.js'
import type { ApproveDeviceAs } from './device.js'
import type { JwksMode } from './server.js'
import type { TokenResponse } from './tokens.js'

export interface DevIdpOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Audience (resource indicator) of JWT access tokens. Default: 'https://api.example.test' */
  resource?: string
  /** Algorithm that signs access tokens: 'RS256' (default) or 'ES256'. ID tokens are RS256. */
  accessTokenAlg?: 'RS256' | 'ES256'
  /** Access token lifetime in seconds. Default 300. */
  accessTokenTtl?: number
  /** Scopes the resource server accepts. Default ['read', 'write', 'admin']. */
  scopes?: string[]
  /**
   * Public keys registered for `dev-jwt-client` (private_key_jwt). Default: a fresh ES256 pair per
   * IdP, whose private half is `clients.jwt.privateJwk`.
   */
  privateKeyJwtClientJwks?: { keys: JWK[] }
  /**
   * Require a server-provided nonce in every DPoP proof (RFC 9449 §8, §9: oidc-provider's
   * `features.dPoP.requireNonce`, with a fresh nonce secret): a proof without one is answered
   * `use_dpop_nonce` with a `DPoP-Nonce` header. Default: `false` (DPoP stays on, nonces optional).
   */
  dpopRequireNonce?: boolean
}

/** Absolute endpoint URLs, from discovery where the IdP publishes them. */
export interface DevIdpEndpoints {
  authorization: string
  token: string
  userinfo: string
  introspection: string
  revocation: string
  /** RFC 8628 device authorization endpoint (POST client_id, scope). */
  deviceAuthorization: string
  /** Where the user enters a user code (`verification_uri` of device authorization responses). */
  deviceVerification: string
  /** RFC 9126 PAR endpoint. */
  pushedAuthorizationRequest: string
  /** RP-initiated logout. */
  endSession: string
  /** Auth0-style `GET /mfa/authenticators` (Bearer mfa_token). */
  mfaAuthenticators: string
  /** Auth0-style `POST /mfa/challenge`. */
  mfaChallenge: string
}

export interface DevIdp {
  /** e.g. 'http://127.0.0.1:41234' (no trailing slash) */
  readonly issuer: string
  /** The provider's JWKS endpoint URL (read from its discovery document). */
  readonly jwksUri: string
  readonly resource: string
  /** `dev-client` (client_secret_basic, every grant); the same values as `clients.basic`. */
  readonly client: {
    clientId: string
    clientSecret: string
    redirectUri: string
    postLogoutRedirectUri: string
  }
  /** All four dev clients: basic, post, public (PKCE), jwt (private_key_jwt). */
  readonly clients: DevIdpClients
  readonly endpoints: DevIdpEndpoints
  /** Real client_credentials grant with the resource indicator: a JWT access token (header typ 'at+jwt'). */
  getAccessToken(opts?: { scope?: string; resource?: string }): Promise<string>
  /**
   * Drives a real authorization code + PKCE + nonce flow with an auto-completing login and consent
   * for `sub` (default 'alice'). The access token is a JWT for `resource` when given, else opaque.
   */
  getIdToken(opts?: {
    sub?: string
    nonce?: string
    scope?: string
    resource?: string
    /** `acr_values` (space-separated); the login gets the first the IdP knows (`urn:dev:loa:1`/`2`). */
    acrValues?: string
  }): Promise<TokenResponse>
  /**
   * Acts as the browser for an authorization URL built by the client under test (also PAR's
   * `?client_id=…&request_uri=…`): follows redirects with a fresh cookie jar through the
   * auto-completing login and consent, and returns the redirect back to the client, unfetched:
   * `…/callback?code=…&state=…&iss=…`, or `error=access_denied` with `denyConsent`. `sub`
   * overrides the URL's `login_hint` (default 'alice'). Rejects if the IdP answers with an error page.
   */
  authorize(url: string | URL, opts?: AuthorizeAs): Promise<URL>
  /**
   * Acts as the user of the device flow: opens `endpoints.deviceVerification`, submits `userCode`,
   * confirms and completes login (as `sub`, default login_hint or 'alice') and consent, so the
   * device's polling then gets tokens; with `deny`, aborts so it gets `access_denied`.
   */
  approveDevice(userCode: string, opts?: ApproveDeviceAs): Promise<void>
  /**
   * While `true`, the mfa-oob grant answers 400 `authorization_pending` (the user has not approved
   * the SMS yet), to test a client's polling. Default `false`: a right binding code succeeds at once.
   */
  setOobPending(pending: boolean): void
  /**
   * Serves `prefix` (one path segment, e.g. `/delegation`) and everything below it with
   * `listener`, on the IdP's own origin, ahead of the provider: how the demos host the MFA
   * delegation service on the dev IdP.
   */
  mount(prefix: string, listener: RequestListener): void
  /**
   * Signs out at the IdP as the user whose IdP cookies are in `jar` (pass the same jar to
   * `authorize`): the end_session endpoint and its confirmation, as a browser would. Every client
   * of that IdP session with a `backchannel_logout_uri` gets its logout token before this resolves.
   * Resolves where the browser lands (the post-logout redirect, or the IdP's signed-out page).
   */
  endSession(jar: CookieJar, opts?: { idTokenHint?: string }): Promise<URL>
  /**
   * Registers `uri` as the `backchannel_logout_uri` of `clientId` (with
   * `backchannel_logout_session_required`), or restores its default with `undefined`: for an
   * app listening on a port known only once it runs. Sessions and grants are kept.
   */
  setBackchannelLogoutUri(clientId: string, uri: string | undefined): void
  /** New RS256 and ES256 keys become primary; old public keys stay published unless `dropOld`. */
  rotateKeys(opts?: { dropOld?: boolean }): Promise<void>
  /** 'up' (default) serves the JWKS; 'down' answers 503; 'hang' never answers (until close). */
  setJwksMode(mode: JwksMode): void
  /** Number of requests the JWKS endpoint has received. */
  readonly jwksRequests: number
  /** The current public JWKS. */
  publicJwks(): { keys: Record<string, unknown>[] }
  close(): Promise<void>
}
