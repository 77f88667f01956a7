import type * as Oidc from 'oidc-provider'
import type { ClientMetadata, Configuration, KoaContextWithOIDC, ResourceServer } from 'oidc-provider'
import { findAccount } from './accounts.js'
import { DEV_ACR_VALUES, interactionPolicy, loginClaimsOf } from './acr.js'
import { isDemoClient } from './clients.js'
import { deviceFlowPages } from './device.js'
import type { MfaState } from './grants/mfa.js'
import { registerUserGrants } from './grants/password.js'
import type { SigningAlg } from './keys.js'
import { logoutPages } from './pages.js'

export type OidcModule = typeof Oidc
export type OidcProvider = Oidc.default

export const JWKS_PATH = '/jwks'
export const INTERACTION_PATH = '/interaction/'

export interface ProviderSettings {
  issuer: string
  /** Default resource indicator (audience of JWT access tokens). */
  resource: string
  scopes: readonly string[]
  accessTokenAlg: SigningAlg
  accessTokenTtl: number
  /** Private JWKS, primary keys first. */
  jwks: { keys: Oidc.JWK[] }
  cookieKeys: string[]
  adapter: Oidc.AdapterFactory
  /** Static client metadata (see clients.ts). */
  clients: ClientMetadata[]
  /** MFA transactions, shared across Provider rebuilds. */
  mfa: MfaState
  /** Secret of DPoP nonces (32 bytes) when every proof must carry one; absent: nonces optional. */
  dpopNonceSecret?: Buffer
}

let loading: Promise<OidcModule> | undefined

/**
 * Imports oidc-provider once. Its entry module warns "Unsupported runtime" on Node 20 at import
 * time; that single known notice is filtered out here so test output stays readable.
 */
export function loadOidcProvider(): Promise<OidcModule> {
  loading ??= (async () => {
    const warn = console.warn
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime'))
        return
      warn.apply(console, args)
    }
    try {
      return await import('oidc-provider')
    } finally {
      console.warn = warn
    }
  })()
  return loading
}

function isClientCredentials(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.route === 'token' && ctx.oidc.params?.['grant_type'] === 'client_credentials'
}

export function buildProvider(oidc: OidcModule, settings: ProviderSettings): OidcProvider {
  const { resource, scopes, accessTokenAlg, accessTokenTtl } = settings

  const resourceServerInfo = (audience: string): ResourceServer => ({
    scope: scopes.join(' '),
    audience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTokenTtl,
    jwt: { sign: { alg: accessTokenAlg } },
  })

  const configuration: Configuration = {
    adapter: settings.adapter,
    clients: settings.clients,
    jwks: settings.jwks,
    cookies: { keys: settings.cookieKeys },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub', 'amr'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the scope-requested claims (email, name) into the ID token too, not only at userinfo.
    conformIdTokenClaims: false,
    findAccount,
    // Local development only: any origin may call the CORS-enabled endpoints.
    clientBasedCORS: () => true,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    // Every refresh returns a new refresh token and invalidates the old one, so clients under
    // test must store the rotated token (and replaying an old one revokes the grant).
    rotateRefreshToken: true,
    interactions: {
      policy: interactionPolicy(oidc),
      url: (_ctx, interaction) => `${INTERACTION_PATH}${interaction.uid}`,
    },
    acrValues: [...DEV_ACR_VALUES],
    // RFC 9068 §2.2.1: a user's JWT access token carries the login's acr and auth_time, so APIs
    // can require a step-up (RFC 9470) on them.
    extraTokenClaims: (ctx, token) => (token.kind === 'AccessToken' ? loginClaimsOf(ctx) : undefined),
    routes: { jwks: JWKS_PATH },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      DeviceCode: 600,
      PushedAuthorizationRequest: 60,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    // oidc-provider refuses to fetch loopback and private addresses (its SSRF guard, a custom
    // dispatcher): the dev IdP's clients all live on 127.0.0.1/localhost, and back-channel logout
    // POSTs to them. Local development only: this IdP listens on loopback and trusts its clients.
    fetch: (input, init = {}) => {
      const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown }
      return globalThis.fetch(input, rest)
    },
    renderError: (ctx, out) => {
      ctx.type = 'json'
      ctx.body = out
    },
    features: {
      devInteractions: { enabled: false },
      // DPoP (RFC 9449) is on either way; with a nonce secret every proof must carry a nonce.
      ...(settings.dpopNonceSecret === undefined
        ? {}
        : { dPoP: { enabled: true, nonceSecret: settings.dpopNonceSecret, requireNonce: () => true } }),
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true, ...deviceFlowPages },
      // Optional PAR (RFC 9126): clients may push, plain authorization requests keep working.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      // Publishes end_session_endpoint; post_logout_redirect_uri must be registered on the client.
      rpInitiatedLogout: { enabled: true, ...logoutPages },
      // OpenID Connect Back-Channel Logout: signing out here POSTs a logout token to every client
      // of the session that registered a backchannel_logout_uri (the demos do).
      backchannelLogout: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => {
          if (oneOf) return oneOf.includes(resource) ? resource : oneOf[0]
          // A client_credentials request without `resource` still gets a JWT for the default API,
          // and so do the demo clients' logins (their pages call the demo API with it). Other
          // authorization requests without one stay OIDC-only (opaque access token for userinfo).
          return isClientCredentials(ctx) || isDemoClient(client.clientId) ? resource : undefined
        },
        // Any absolute resource indicator is accepted (its URL becomes the audience), so tests can
        // mint tokens for a different API; the configured resource is the default.
        getResourceServerInfo: (_ctx, resourceIndicator) => resourceServerInfo(resourceIndicator),
        useGrantedResource: () => true,
      },
    },
  }

  const provider = new oidc.Provider(settings.issuer, configuration)
  registerUserGrants(provider, resourceServerInfo, settings.mfa)
  provider.on('server_error', (_ctx: unknown, error: unknown) => {
    console.error('dev-idp: oidc-provider server_error', error)
  })
  // A refused or unreachable back-channel logout does not stop the sign-out: say so, by client.
  provider.on('backchannel.error', (_ctx: unknown, error: unknown, client: { clientId: string }) => {
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`dev-idp: back-channel logout to ${client.clientId} failed: ${reason}`)
  })
  return provider
}
