import { randomBytes } from 'node:crypto'
import { MemoryStore, memoryAdapterFactory } from './adapter.js'
import { createInteractionHandler, DEFAULT_SUB } from './interactions.js'
import { KeyRing } from './keys.js'
import {
  buildProvider,
  DEV_CLIENT,
  INTERACTION_PATH,
  JWKS_PATH,
  loadOidcProvider,
  type OidcProvider,
} from './provider.js'
import { IdpServer, type JwksMode } from './server.js'
import {
  authorizationCodeFlow,
  clientCredentialsToken,
  type FlowEndpoints,
  type TokenResponse,
} from './tokens.js'

export { DEV_CLIENT } from './provider.js'
export type { JwksMode } from './server.js'
export type { TokenResponse } from './tokens.js'

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
}

export interface DevIdp {
  /** e.g. 'http://127.0.0.1:41234' (no trailing slash) */
  readonly issuer: string
  /** The provider's JWKS endpoint URL (read from its discovery document). */
  readonly jwksUri: string
  readonly resource: string
  /** Confidential client: authorization_code, refresh_token, client_credentials; redirect http://127.0.0.1/callback */
  readonly client: { clientId: string; clientSecret: string; redirectUri: string }
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
  }): Promise<TokenResponse>
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

const DEFAULTS = {
  port: 0,
  resource: 'https://api.example.test',
  accessTokenAlg: 'RS256',
  accessTokenTtl: 300,
  scopes: ['read', 'write', 'admin'],
} as const

interface Discovery {
  issuer: string
  jwks_uri: string
  authorization_endpoint: string
  token_endpoint: string
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`)
  if (!response.ok) throw new Error(`dev-idp: discovery failed with HTTP ${response.status}`)
  return (await response.json()) as Discovery
}

/** Starts a local OpenID Provider on 127.0.0.1. For local development and tests only. */
export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const resource = options.resource ?? DEFAULTS.resource
  const scopes = [...(options.scopes ?? DEFAULTS.scopes)]
  const accessTokenAlg = options.accessTokenAlg ?? DEFAULTS.accessTokenAlg
  const accessTokenTtl = options.accessTokenTtl ?? DEFAULTS.accessTokenTtl

  const oidc = await loadOidcProvider()
  const keys = await KeyRing.create()
  const store = new MemoryStore()
  const cookieKeys = [randomBytes(32).toString('base64url')]
  const server = await IdpServer.listen(options.port ?? DEFAULTS.port, JWKS_PATH)
  const issuer = `http://127.0.0.1:${server.port}`

  let provider: OidcProvider
  const interactions = createInteractionHandler(() => provider)
  const install = (): void => {
    provider = buildProvider(oidc, {
      issuer,
      resource,
      scopes,
      accessTokenAlg,
      accessTokenTtl,
      jwks: keys.privateJwks(),
      cookieKeys,
      adapter: memoryAdapterFactory(store),
    })
    const callback = provider.callback()
    server.setHandler((req, res) => {
      if (req.url?.startsWith(INTERACTION_PATH)) void interactions(req, res)
      else void callback(req, res)
    })
  }

  let endpoints: FlowEndpoints
  let jwksUri: string
  try {
    install()
    const discovery = await discover(issuer)
    jwksUri = discovery.jwks_uri
    server.setJwksPath(new URL(jwksUri).pathname)
    endpoints = {
      issuer: discovery.issuer,
      authorizationEndpoint: discovery.authorization_endpoint,
      tokenEndpoint: discovery.token_endpoint,
    }
  } catch (error) {
    await server.close()
    throw error
  }

  const client = { ...DEV_CLIENT }
  let closing: Promise<void> | undefined

  return {
    issuer,
    jwksUri,
    resource,
    client,
    get jwksRequests() {
      return server.jwksRequests
    },
    getAccessToken: (opts = {}) =>
      clientCredentialsToken(endpoints, client, {
        scope: opts.scope ?? scopes.join(' '),
        resource: opts.resource ?? resource,
      }),
    getIdToken: (opts = {}) =>
      authorizationCodeFlow(endpoints, client, {
        sub: opts.sub ?? DEFAULT_SUB,
        // With a resource, also ask for all of its scopes so the JWT access token carries them.
        scope: opts.scope ?? ['openid email profile', ...(opts.resource ? scopes : [])].join(' '),
        nonce: opts.nonce ?? randomBytes(16).toString('base64url'),
        resource: opts.resource,
      }),
    rotateKeys: async (opts = {}) => {
      await keys.rotate(opts)
      install()
    },
    setJwksMode: (mode) => server.setJwksMode(mode),
    publicJwks: () => keys.publicJwks(),
    close: () => {
      closing ??= server.close().finally(() => store.clear())
      return closing
    },
  }
}
