import { dpopKeySource } from '../dpop/client-dpop.js'
import type { DPoPKey } from '../dpop/dpop-key.js'
import { DpopNonces } from '../dpop/nonces.js'
import { ConfigurationError } from '../errors.js'
import { type AuthorizationServerMetadata, discoverIssuer } from '../keys/discovery.js'
import {
  type AuthorizationContext,
  type AuthorizationRequest,
  type AuthorizationUrlParams,
  buildAuthorizationUrl,
  buildEndSessionUrl,
  type CallbackOptions,
  type EndSessionParams,
  type ExpectedAuthorization,
  handleAuthorizationCallback,
} from './authorization-code.js'
import { checkOptions, clientAuthentication, httpOptions, tokenValidators } from './client-config.js'
import type { DiscoverOAuthClientOptions, OAuthClientOptions } from './client-options.js'
import {
  type DeviceAuthorization,
  type DeviceAuthorizationParams,
  type PollOptions,
  pollDeviceToken,
  startDeviceAuthorization,
} from './device.js'
import {
  ClientCredentialsGrant,
  type ClientCredentialsParams,
  type PasswordParams,
  passwordGrant,
  type RefreshParams,
  refreshGrant,
  type ScopeInput,
} from './grants.js'
import type { LogoutTokenClaims, LogoutTokenValidator } from './logout-token.js'
import {
  type MfaAuthenticator,
  type MfaChallenge,
  type MfaContext,
  mfaAuthenticators,
  mfaChallenge,
  mfaOobComplete,
  mfaOtpComplete,
} from './mfa.js'
import {
  fetchUserinfo,
  type IntrospectionResponse,
  introspectToken,
  revokeToken,
  type skipSubjectCheck,
  type TokenTypeHint,
  type UserinfoClaims,
  type UserinfoOptions,
} from './token-endpoints.js'
import type { TokenSet } from './token-set.js'

function dpopKeyRequired(): ConfigurationError {
  return new ConfigurationError(
    'These tokens are DPoP-bound: pass their key ("dpopKey") or give the client its "dpop" key',
    { code: 'ERR_DPOP_KEY_REQUIRED' },
  )
}

/**
 * An OAuth 2 / OpenID Connect client of one authorization server: every grant, ID-token
 * verification, PAR, device flow, password-MFA, userinfo, revocation and introspection.
 * Options are checked here; network calls happen per method.
 */
export class OAuthClient {
  readonly #ctx: AuthorizationContext & MfaContext
  readonly #clientCredentials: ClientCredentialsGrant
  readonly #logoutTokens: LogoutTokenValidator | undefined

  constructor(options: OAuthClientOptions) {
    checkOptions(options)
    const { metadata } = options
    const validators = tokenValidators(options)
    this.#logoutTokens = validators.logoutTokens
    const issuer = metadata.issuer.replace(/\/$/, '')
    this.#ctx = {
      dpopKey: dpopKeySource(options.dpop),
      dpopNonces: new DpopNonces(),
      metadata: Object.freeze({ ...metadata }),
      clientId: options.clientId,
      auth: clientAuthentication(options),
      http: httpOptions(options),
      requestFormat: options.tokenRequestFormat ?? 'form',
      idTokens: validators.idTokens,
      redirectUri: options.redirectUri,
      pushedAuthorizationRequests:
        options.pushedAuthorizationRequests ?? metadata['require_pushed_authorization_requests'] === true,
      mfaEndpoints: {
        authenticators: options.mfaEndpoints?.authenticators ?? `${issuer}/mfa/authenticators`,
        challenge: options.mfaEndpoints?.challenge ?? `${issuer}/mfa/challenge`,
      },
    }
    this.#clientCredentials = new ClientCredentialsGrant(this.#ctx, options.tokenCache)
  }

  /** Fetches the issuer's metadata (OpenID Connect Discovery, then RFC 8414) and creates the client. */
  static async discover(issuer: string, options: DiscoverOAuthClientOptions): Promise<OAuthClient> {
    const metadata = await discoverIssuer(issuer, {
      ...httpOptions(options as OAuthClientOptions),
      ...(options.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
    })
    return new OAuthClient({ ...options, metadata })
  }

  /** The server's metadata, as given or discovered. */
  get metadata(): Readonly<AuthorizationServerMetadata> {
    return this.#ctx.metadata
  }

  get clientId(): string {
    return this.#ctx.clientId
  }

  /** Builds the authorization request (through PAR when enabled): the URL and the values to keep. */
  authorizationUrl(params: AuthorizationUrlParams = {}): Promise<AuthorizationRequest> {
    return buildAuthorizationUrl(this.#ctx, params)
  }

  /**
   * Validates the redirect back from the authorization server (RFC 9207 `iss`, `state`, `error`)
   * before anything else, then exchanges the code (with the PKCE verifier) and verifies the ID token.
   */
  handleCallback(
    input: URL | string | Request,
    expected: ExpectedAuthorization,
    options: CallbackOptions = {},
  ): Promise<TokenSet> {
    return handleAuthorizationCallback(this.#ctx, input, expected, options)
  }

  /**
   * The client's DPoP key (the `dpop` option; generated on first use for `dpop: true`), or
   * `undefined` when the client does not use DPoP.
   */
  async dpopKey(): Promise<DPoPKey | undefined> {
    return this.#ctx.dpopKey?.()
  }

  /** RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0). */
  endSessionUrl(params: EndSessionParams = {}): URL {
    return buildEndSessionUrl(this.#ctx, params)
  }

  /**
   * Validates a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6) with the
   * provider's ID-token keys; `maxAge` is the oldest `iat` accepted, in seconds (default 300).
   * Making its `jti` single-use is the caller's part (`createAuth`'s route does it).
   */
  verifyLogoutToken(token: string, options: { maxAge?: number } = {}): Promise<LogoutTokenClaims> {
    if (this.#logoutTokens === undefined) {
      return Promise.reject(
        new ConfigurationError(
          'Logout tokens need the provider\'s keys: "jwks_uri" in the metadata, or "idTokenKeys"',
        ),
      )
    }
    return this.#logoutTokens.validate(token, options.maxAge ?? 300)
  }

  /** Client-credentials grant, served from the client-side cache while the token is fresh. */
  clientCredentials(params: ClientCredentialsParams = {}): Promise<TokenSet> {
    return this.#clientCredentials.request(params)
  }

  /**
   * Refresh grant. Pass the whole token set to keep its ID-token claims as the reference a
   * refreshed ID token must match; the result carries the rotated refresh token, or the old one.
   */
  refresh(tokens: string | TokenSet, params: RefreshParams = {}): Promise<TokenSet> {
    if (typeof tokens === 'string') return refreshGrant(this.#ctx, tokens, params)
    if (tokens.refreshToken === undefined) throw new ConfigurationError('The token set has no refresh token')
    if (tokens.tokenType === 'DPoP' && params.dpopKey === undefined && this.#ctx.dpopKey === undefined) {
      // A DPoP-bound grant (public clients' refresh tokens are bound too) needs its key's proof.
      throw dpopKeyRequired()
    }
    const idTokenClaims = params.idTokenClaims ?? tokens.claims
    return refreshGrant(this.#ctx, tokens.refreshToken, {
      ...params,
      ...(idTokenClaims ? { idTokenClaims } : {}),
    })
  }

  /**
   * Resource-owner password grant: legacy (RFC 9700 §2.4), for first-party migrations. Rejects
   * with `MfaRequiredError` (carrying `mfaToken`) when the server asks for a second factor.
   */
  password(username: string, password: string, params: PasswordParams = {}): Promise<TokenSet> {
    return passwordGrant(this.#ctx, username, password, params)
  }

  /** Password-MFA: the user's enrolled authenticators. */
  mfaAuthenticators(mfaToken: string): Promise<MfaAuthenticator[]> {
    return mfaAuthenticators(this.#ctx, mfaToken)
  }

  /** Password-MFA: asks for an OTP challenge on an authenticator. */
  mfaOtpRequest(mfaToken: string, authenticatorId?: string): Promise<MfaChallenge> {
    return mfaChallenge(this.#ctx, mfaToken, 'otp', authenticatorId)
  }

  /** Password-MFA: completes with the OTP the user typed. */
  mfaOtpComplete(mfaToken: string, otp: string, scope?: ScopeInput): Promise<TokenSet> {
    return mfaOtpComplete(this.#ctx, mfaToken, otp, scope)
  }

  /** Password-MFA: starts an out-of-band challenge (SMS, push, email). */
  mfaOobRequest(mfaToken: string, authenticatorId?: string): Promise<MfaChallenge> {
    return mfaChallenge(this.#ctx, mfaToken, 'oob', authenticatorId)
  }

  /** Password-MFA: completes an out-of-band challenge, with the binding code when one was prompted. */
  mfaOobComplete(
    mfaToken: string,
    oobCode: string,
    bindingCode?: string,
    scope?: ScopeInput,
  ): Promise<TokenSet> {
    return mfaOobComplete(this.#ctx, mfaToken, oobCode, bindingCode, scope)
  }

  /** Device authorization (RFC 8628 §3.1): the codes to show the user. */
  deviceAuthorization(params: DeviceAuthorizationParams = {}): Promise<DeviceAuthorization> {
    return startDeviceAuthorization(this.#ctx, params)
  }

  /** Polls the token endpoint until the user approves, denies or the codes expire (RFC 8628 §3.4). */
  pollDeviceToken(device: DeviceAuthorization, options: PollOptions = {}): Promise<TokenSet> {
    return pollDeviceToken(this.#ctx, device, options)
  }

  /**
   * Userinfo; its `sub` must equal `expectedSub` (the ID token's), or pass `skipSubjectCheck`.
   * A token set's `DPoP` token is sent with a proof (by `options.dpopKey` or the client's key);
   * a bare token string is sent as DPoP when the client has a key, else as Bearer.
   */
  userinfo(
    accessToken: string | TokenSet,
    expectedSub: string | typeof skipSubjectCheck,
    options: UserinfoOptions = {},
  ): Promise<UserinfoClaims> {
    return fetchUserinfo(this.#ctx, accessToken, expectedSub, options)
  }

  /** Token revocation (RFC 7009). */
  revoke(token: string, hint?: TokenTypeHint): Promise<void> {
    return revokeToken(this.#ctx, token, hint)
  }

  /** Token introspection (RFC 7662). */
  introspect(token: string, hint?: TokenTypeHint): Promise<IntrospectionResponse> {
    return introspectToken(this.#ctx, token, hint)
  }
}
