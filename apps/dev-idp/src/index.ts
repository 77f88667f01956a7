import { randomBytes } from 'node:crypto'
import type { RequestListener } from 'node:http'
import { MemoryStore, memoryAdapterFactory } from './adapter.js'
import { authorizeAsUser, endSessionAsUser } from './browser.js'
import { clientMetadata, devClients, jwtClientKeys } from './clients.js'
import { approveDeviceAsUser } from './device.js'
import { MfaState } from './grants/mfa.js'
import { createMfaRoutes, MFA_PATH } from './grants/mfa-routes.js'
import { createInteractionHandler, DEFAULT_SUB } from './interactions.js'
import { KeyRing } from './keys.js'
import {
  buildProvider,
  INTERACTION_PATH,
  JWKS_PATH,
  loadOidcProvider,
  type OidcProvider,
} from './provider.js'
import { IdpServer } from './server.js'
import { authorizationCodeFlow, clientCredentialsToken, type FlowEndpoints } from './tokens.js'
import type { DevIdp, DevIdpEndpoints, DevIdpOptions } from './types.js'

export type { DevUser } from './accounts.js'
export { DEV_USERS, MFA_AUTHENTICATORS, MFA_OOB_BINDING_CODE, MFA_OTP_CODE } from './accounts.js'
export { type AuthorizeAs, CookieJar, signInToApp } from './browser.js'
export { closeOnSignal, devIdpBanner, devIdpPort } from './cli.js'
export type { DemoClient, DevIdpClients } from './clients.js'
export {
  DEMO_CLIENTS,
  DEV_CLIENT,
  DEV_JWT_CLIENT,
  DEV_POST_CLIENT,
  DEV_PUBLIC_CLIENT,
  GRANT_TYPES,
} from './clients.js'
export type { ApproveDeviceAs } from './device.js'
export { WRONG_CREDENTIALS } from './interaction-pages.js'
export { PAGE_IDS } from './pages.js'
export type { JwksMode } from './server.js'
export type { TokenResponse } from './tokens.js'
export type { DevIdp, DevIdpEndpoints, DevIdpOptions } from './types.js'

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
  userinfo_endpoint: string
  introspection_endpoint: string
  revocation_endpoint: string
  device_authorization_endpoint: string
  pushed_authorization_request_endpoint: string
  end_session_endpoint: string
}

async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`)
  if (!response.ok) throw new Error(`dev-idp: discovery failed with HTTP ${response.status}`)
  return (await response.json()) as Discovery
}

function endpointsFrom(discovery: Discovery, provider: OidcProvider): DevIdpEndpoints {
  return {
    authorization: discovery.authorization_endpoint,
    token: discovery.token_endpoint,
    userinfo: discovery.userinfo_endpoint,
    introspection: discovery.introspection_endpoint,
    revocation: discovery.revocation_endpoint,
    deviceAuthorization: discovery.device_authorization_endpoint,
    // Not in discovery: it is the verification_uri of device authorization responses.
    deviceVerification: provider.urlFor('code_verification'),
    pushedAuthorizationRequest: discovery.pushed_authorization_request_endpoint,
    endSession: discovery.end_session_endpoint,
    mfaAuthenticators: new URL(`${MFA_PATH}authenticators`, discovery.issuer).href,
    mfaChallenge: new URL(`${MFA_PATH}challenge`, discovery.issuer).href,
  }
}

/** Starts a local OpenID Provider on 127.0.0.1. For local development and tests only. */
export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const resource = options.resource ?? DEFAULTS.resource
  const scopes = [...(options.scopes ?? DEFAULTS.scopes)]
  const accessTokenAlg = options.accessTokenAlg ?? DEFAULTS.accessTokenAlg
  const accessTokenTtl = options.accessTokenTtl ?? DEFAULTS.accessTokenTtl

  const oidc = await loadOidcProvider()
  const keys = await KeyRing.create()
  const clients = devClients(await jwtClientKeys(options.privateKeyJwtClientJwks))
  const store = new MemoryStore()
  // Outside the Provider, like `store`: MFA transactions survive the rebuild in rotateKeys().
  const mfa = new MfaState()
  const cookieKeys = [randomBytes(32).toString('base64url')]
  const dpopNonceSecret = options.dpopRequireNonce === true ? randomBytes(32) : undefined
  /** `backchannel_logout_uri`s set with setBackchannelLogoutUri(), by client id. */
  const backchannel = new Map<string, string>()
  const server = await IdpServer.listen(options.port ?? DEFAULTS.port, JWKS_PATH)
  const issuer = `http://127.0.0.1:${server.port}`

  let provider: OidcProvider
  const interactions = createInteractionHandler(() => provider)
  const mfaRoutes = createMfaRoutes(mfa)
  /** Services mounted beside the provider (`mount()`), by path prefix. */
  const mounted = new Map<string, RequestListener>()
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
      clients: clientMetadata(clients, backchannel),
      mfa,
      ...(dpopNonceSecret === undefined ? {} : { dpopNonceSecret }),
    })
    const callback = provider.callback()
    server.setHandler((req, res) => {
      for (const [prefix, listener] of mounted) {
        if (req.url === prefix || req.url?.startsWith(`${prefix}/`)) return listener(req, res)
      }
      if (req.url?.startsWith(INTERACTION_PATH)) void interactions(req, res)
      else if (req.url?.startsWith(MFA_PATH)) void mfaRoutes(req, res)
      else void callback(req, res)
    })
  }

  let flow: FlowEndpoints
  let endpoints: DevIdpEndpoints
  let jwksUri: string
  try {
    install()
    const discovery = await discover(issuer)
    jwksUri = discovery.jwks_uri
    server.setJwksPath(new URL(jwksUri).pathname)
    flow = {
      issuer: discovery.issuer,
      authorizationEndpoint: discovery.authorization_endpoint,
      tokenEndpoint: discovery.token_endpoint,
    }
    endpoints = endpointsFrom(discovery, provider!)
  } catch (error) {
    await server.close()
    throw error
  }

  const { clientId, clientSecret, redirectUri, postLogoutRedirectUri } = clients.basic
  const client = { clientId, clientSecret, redirectUri, postLogoutRedirectUri }
  let closing: Promise<void> | undefined

  return {
    issuer,
    jwksUri,
    resource,
    client,
    clients,
    endpoints,
    get jwksRequests() {
      return server.jwksRequests
    },
    getAccessToken: (opts = {}) =>
      clientCredentialsToken(flow, client, {
        scope: opts.scope ?? scopes.join(' '),
        resource: opts.resource ?? resource,
      }),
    getIdToken: (opts = {}) =>
      authorizationCodeFlow(flow, client, {
        sub: opts.sub ?? DEFAULT_SUB,
        // With a resource, also ask for all of its scopes so the JWT access token carries them.
        scope: opts.scope ?? ['openid email profile', ...(opts.resource ? scopes : [])].join(' '),
        nonce: opts.nonce ?? randomBytes(16).toString('base64url'),
        resource: opts.resource,
        acrValues: opts.acrValues,
      }),
    authorize: (url, opts = {}) => authorizeAsUser(issuer, url, opts),
    approveDevice: (userCode, opts = {}) => approveDeviceAsUser(endpoints.deviceVerification, userCode, opts),
    mount: (prefix, listener) => {
      if (!/^\/[a-z0-9-]+$/.test(prefix))
        throw new Error(`dev-idp: cannot mount at ${JSON.stringify(prefix)}`)
      mounted.set(prefix, listener)
    },
    setOobPending: (pending) => {
      mfa.oobPending = pending
    },
    endSession: (jar, opts = {}) => endSessionAsUser(endpoints.endSession, jar, opts.idTokenHint),
    setBackchannelLogoutUri: (clientId, uri) => {
      if (uri === undefined) backchannel.delete(clientId)
      else backchannel.set(clientId, new URL(uri).href)
      // A new Provider with the new client metadata, on the same store: sessions and grants stay.
      install()
    },
    rotateKeys: async (opts = {}) => {
      await keys.rotate(opts)
      install()
    },
    setJwksMode: (mode) => server.setJwksMode(mode),
    publicJwks: () => keys.publicJwks(),
    close: () => {
      closing ??= server.close().finally(() => {
        store.clear()
        mfa.clear()
      })
      return closing
    },
  }
}
