import type { JWK } from 'jose'
import type { ClientMetadata } from 'oidc-provider'
import { generateSigningKey, toPublicJwk } from './keys.js'

/** Grant type identifiers beyond `authorization_code`, `refresh_token` and `client_credentials`. */
export const GRANT_TYPES = Object.freeze({
  deviceCode: 'urn:ietf:params:oauth:grant-type:device_code',
  password: 'password',
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaOob: 'http://auth0.com/oauth/grant-type/mfa-oob',
} as const)

/** Every client redirects here; `application_type: native` lets any loopback port match (RFC 8252). */
const REDIRECT_URI = 'http://127.0.0.1/callback'

/** Confidential client, `client_secret_basic`, every grant. Fixed, well-known: dev and tests only. */
export const DEV_CLIENT = Object.freeze({
  clientId: 'dev-client',
  clientSecret: 'dev-secret',
  redirectUri: REDIRECT_URI,
  postLogoutRedirectUri: 'http://127.0.0.1/logged-out',
} as const)

/** Confidential client, `client_secret_post`: code, refresh, client_credentials. */
export const DEV_POST_CLIENT = Object.freeze({
  clientId: 'dev-post-client',
  clientSecret: 'dev-post-secret',
  redirectUri: REDIRECT_URI,
} as const)

/** Public client (`none`), PKCE required: code, refresh, device_code. */
export const DEV_PUBLIC_CLIENT = Object.freeze({
  clientId: 'dev-public-client',
  redirectUri: REDIRECT_URI,
} as const)

/** `private_key_jwt` client: code, client_credentials, refresh. Its keys are per IdP (see DevIdpClients.jwt). */
export const DEV_JWT_CLIENT = Object.freeze({
  clientId: 'dev-jwt-client',
  redirectUri: REDIRECT_URI,
} as const)

/** A confidential client registered for one demo app. Fixed, well-known values: dev and tests only. */
export interface DemoClient {
  readonly clientId: string
  readonly clientSecret: string
  /** Shown on the consent page. */
  readonly clientName: string
  /**
   * `http://localhost:<port>/auth/callback` (`/api/auth/callback` for the Next.js demo, whose
   * routes live under `app/api/auth`); the same path on 127.0.0.1, and any port of either, also match.
   */
  readonly redirectUri: string
  /** `http://localhost:<port>/`; the same loopback rules as `redirectUri`. */
  readonly postLogoutRedirectUri: string
  /**
   * Where the IdP POSTs logout tokens when the user signs out there (OpenID Connect Back-Channel
   * Logout): `http://localhost:<port>/auth/backchannel-logout`. One exact URI (the loopback port
   * rule covers redirect URIs only); a demo on another port sets its own with
   * `DevIdp.setBackchannelLogoutUri`.
   */
  readonly backchannelLogoutUri: string
}

function demoClient(
  name: string,
  clientName: string,
  port: number,
  callbackPath = '/auth/callback',
): DemoClient {
  const basePath = callbackPath.slice(0, -'/callback'.length)
  return Object.freeze({
    clientId: `${name}-demo`,
    clientSecret: `${name}-demo-secret`,
    clientName,
    redirectUri: `http://localhost:${port}${callbackPath}`,
    postLogoutRedirectUri: `http://localhost:${port}/`,
    backchannelLogoutUri: `http://localhost:${port}${basePath}/backchannel-logout`,
  })
}

/**
 * One client per demo app (client_secret_basic; authorization_code and refresh_token). Their
 * access tokens are JWTs for the IdP's resource (the demo API) even without a `resource` parameter.
 */
export const DEMO_CLIENTS = Object.freeze({
  express: demoClient('express', 'Express demo', 3001),
  hono: demoClient('hono', 'Hono demo', 3002),
  nest: demoClient('nest', 'NestJS demo', 3003),
  next: demoClient('next', 'Next.js demo', 3004, '/api/auth/callback'),
} as const)

const DEMO_CLIENT_IDS: ReadonlySet<string> = new Set(Object.values(DEMO_CLIENTS).map((demo) => demo.clientId))

/** Whether `clientId` is one of DEMO_CLIENTS (which default to the demo API as their resource). */
export function isDemoClient(clientId: string): boolean {
  return DEMO_CLIENT_IDS.has(clientId)
}

/** The registered form of a loopback URI on both hosts, so demos may be opened on localhost or 127.0.0.1. */
function onBothLoopbackHosts(uri: string): string[] {
  return [uri, uri.replace('//localhost:', '//127.0.0.1:')]
}

const DEMO_GRANTS = ['authorization_code', 'refresh_token'] as const
const BASIC_GRANTS = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  GRANT_TYPES.deviceCode,
  GRANT_TYPES.password,
  GRANT_TYPES.mfaOtp,
  GRANT_TYPES.mfaOob,
] as const
const POST_GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const
const PUBLIC_GRANTS = ['authorization_code', 'refresh_token', GRANT_TYPES.deviceCode] as const
const JWT_GRANTS = ['authorization_code', 'client_credentials', 'refresh_token'] as const

interface ClientInfo {
  readonly clientId: string
  readonly redirectUri: string
  readonly tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt'
  readonly grantTypes: readonly string[]
}

/** The four dev clients, as exposed on `DevIdp.clients`. */
export interface DevIdpClients {
  /** `dev-client` / `dev-secret` (client_secret_basic); also `DevIdp.client`. */
  readonly basic: ClientInfo & { readonly clientSecret: string; readonly postLogoutRedirectUri: string }
  /** `dev-post-client` / `dev-post-secret` (client_secret_post). */
  readonly post: ClientInfo & { readonly clientSecret: string }
  /** `dev-public-client` (none, PKCE required). */
  readonly public: ClientInfo
  /** `dev-jwt-client` (private_key_jwt). */
  readonly jwt: ClientInfo & {
    /** The public keys registered for the client. */
    readonly publicJwks: { keys: JWK[] }
    /** Signing key for client assertions; only when the IdP generated it (no `privateKeyJwtClientJwks`). */
    readonly privateJwk: JWK | undefined
  }
}

/**
 * The JWT client's keys: the given public JWKS (private members stripped, so passing a private
 * JWK by mistake cannot publish it), or a fresh ES256 pair whose private half tests sign with.
 */
export async function jwtClientKeys(
  given: { keys: JWK[] } | undefined,
): Promise<{ publicJwks: { keys: JWK[] }; privateJwk: JWK | undefined }> {
  if (given) return { publicJwks: { keys: given.keys.map(toPublicJwk) }, privateJwk: undefined }
  const key = await generateSigningKey('ES256')
  return { publicJwks: { keys: [key.publicJwk] }, privateJwk: key.privateJwk }
}

export function devClients(jwt: { publicJwks: { keys: JWK[] }; privateJwk: JWK | undefined }): DevIdpClients {
  return {
    basic: { ...DEV_CLIENT, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: BASIC_GRANTS },
    post: { ...DEV_POST_CLIENT, tokenEndpointAuthMethod: 'client_secret_post', grantTypes: POST_GRANTS },
    public: { ...DEV_PUBLIC_CLIENT, tokenEndpointAuthMethod: 'none', grantTypes: PUBLIC_GRANTS },
    jwt: { ...DEV_JWT_CLIENT, tokenEndpointAuthMethod: 'private_key_jwt', grantTypes: JWT_GRANTS, ...jwt },
  }
}

/** The secret of a client that authenticates with one (for the custom /mfa routes). */
export function clientSecretFor(clientId: string): string | undefined {
  if (clientId === DEV_CLIENT.clientId) return DEV_CLIENT.clientSecret
  if (clientId === DEV_POST_CLIENT.clientId) return DEV_POST_CLIENT.clientSecret
  return undefined
}

/**
 * oidc-provider client metadata for the four dev clients and the demo clients. `backchannel`
 * registers (or, for a demo, replaces) a client's `backchannel_logout_uri`, by client id; every
 * client with one also gets `backchannel_logout_session_required`, so its ID and logout tokens carry `sid`.
 */
export function clientMetadata(
  clients: DevIdpClients,
  backchannel: ReadonlyMap<string, string> = new Map(),
): ClientMetadata[] {
  const common = {
    // 'native' lets a loopback redirect URI use any port (RFC 8252), handy for demos.
    application_type: 'native',
    redirect_uris: [REDIRECT_URI],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  } satisfies Partial<ClientMetadata>
  const metadata: ClientMetadata[] = [
    {
      ...common,
      client_id: clients.basic.clientId,
      client_secret: clients.basic.clientSecret,
      grant_types: [...clients.basic.grantTypes],
      token_endpoint_auth_method: 'client_secret_basic',
      post_logout_redirect_uris: [clients.basic.postLogoutRedirectUri],
    },
    {
      ...common,
      client_id: clients.post.clientId,
      client_secret: clients.post.clientSecret,
      grant_types: [...clients.post.grantTypes],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      ...common,
      client_id: clients.public.clientId,
      grant_types: [...clients.public.grantTypes],
      token_endpoint_auth_method: 'none',
    },
    {
      ...common,
      client_id: clients.jwt.clientId,
      grant_types: [...clients.jwt.grantTypes],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: structuredClone(clients.jwt.publicJwks) as ClientMetadata['jwks'],
    },
    ...Object.values(DEMO_CLIENTS).map(
      (demo): ClientMetadata => ({
        ...common,
        client_id: demo.clientId,
        client_secret: demo.clientSecret,
        client_name: demo.clientName,
        redirect_uris: onBothLoopbackHosts(demo.redirectUri),
        post_logout_redirect_uris: onBothLoopbackHosts(demo.postLogoutRedirectUri),
        grant_types: [...DEMO_GRANTS],
        token_endpoint_auth_method: 'client_secret_basic',
        // auth_time in every ID token: the demos' passkey pages let a user add or remove a
        // passkey only within minutes of signing in, judged by it.
        require_auth_time: true,
      }),
    ),
  ]
  return metadata.map((client): ClientMetadata => {
    const uri = backchannel.get(client.client_id) ?? demoBackchannelUri(client.client_id)
    return uri === undefined
      ? client
      : { ...client, backchannel_logout_uri: uri, backchannel_logout_session_required: true }
  })
}

function demoBackchannelUri(clientId: string): string | undefined {
  return Object.values(DEMO_CLIENTS).find((demo) => demo.clientId === clientId)?.backchannelLogoutUri
}
