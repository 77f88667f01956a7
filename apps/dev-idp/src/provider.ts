import type * as Oidc from 'oidc-provider'
import type { Account, Configuration, FindAccount, KoaContextWithOIDC, ResourceServer } from 'oidc-provider'
import type { SigningAlg } from './keys.js'

export type OidcModule = typeof Oidc
export type OidcProvider = Oidc.default

/** Fixed, well-known credentials. For local development and tests only. */
export const DEV_CLIENT = {
  clientId: 'dev-client',
  clientSecret: 'dev-secret',
  redirectUri: 'http://127.0.0.1/callback',
} as const

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

const findAccount: FindAccount = (_ctx, sub): Account => ({
  accountId: sub,
  claims: () => ({
    sub,
    email: `${sub}@example.test`,
    email_verified: true,
    name: sub.charAt(0).toUpperCase() + sub.slice(1),
  }),
})

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
    clients: [
      {
        client_id: DEV_CLIENT.clientId,
        client_secret: DEV_CLIENT.clientSecret,
        // 'native' lets a loopback redirect URI use any port (RFC 8252), handy for demos.
        application_type: 'native',
        redirect_uris: [DEV_CLIENT.redirectUri],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: settings.jwks,
    cookies: { keys: settings.cookieKeys },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the scope-requested claims (email, name) into the ID token too, not only at userinfo.
    conformIdTokenClaims: false,
    findAccount,
    // Local development only: any origin may call the CORS-enabled endpoints.
    clientBasedCORS: () => true,
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}${interaction.uid}` },
    routes: { jwks: JWKS_PATH },
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    renderError: (ctx, out) => {
      ctx.type = 'json'
      ctx.body = out
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, _client, oneOf) => {
          if (oneOf) return oneOf.includes(resource) ? resource : oneOf[0]
          // A client_credentials request without `resource` still gets a JWT for the default API;
          // authorization requests without one stay OIDC-only (opaque access token for userinfo).
          return isClientCredentials(ctx) ? resource : undefined
        },
        // Any absolute resource indicator is accepted (its URL becomes the audience), so tests can
        // mint tokens for a different API; the configured resource is the default.
        getResourceServerInfo: (_ctx, resourceIndicator) => resourceServerInfo(resourceIndicator),
        useGrantedResource: () => true,
      },
    },
  }

  const provider = new oidc.Provider(settings.issuer, configuration)
  provider.on('server_error', (_ctx: unknown, error: unknown) => {
    console.error('dev-idp: oidc-provider server_error', error)
  })
  return provider
}
