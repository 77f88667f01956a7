/**
 * The settings every demo starts with: the dev identity provider's issuer, the demo API's
 * audience, and the login options of the demo's registered client. Environment variables
 * override the defaults that match `npm run demo` (ISSUER, PORT, AUDIENCE, SESSION_SECRET,
 * APP_BASE_URL: the public origin, needed in production mode; MACHINE_ISSUER: the token server's
 * issuer, default http://127.0.0.1:4100; REDIS_URL, DATABASE_URL,
 * DEMO_STORE: where sessions live, see stores.ts).
 */
import {
  type AuthOptions,
  createResourceServer,
  createTokenVerifier,
  type ResourceServer,
  type TokenVerifierOptions,
} from '@org/auth-core'
import type { DelegationClientOptions } from '@org/auth-core/delegation'
import { DEMO_CLIENTS } from '@org/dev-idp'
import { devDelegationKeys } from './dev-keys.js'
import { type DemoStores, demoStores } from './stores.js'

export type DemoName = keyof typeof DEMO_CLIENTS

export interface DemoSettings {
  issuer: string
  port: number
  /** Options for the bearer verifier of the dev IdP's tokens at the demo's API routes. */
  verifier: TokenVerifierOptions
  /** Options for the verifier of the token server's (machine-to-machine) tokens there. */
  machineVerifier: TokenVerifierOptions
  /** Options for `createAuth` (the web login). */
  auth: AuthOptions
  /** Options for `DelegationClient.fromKeys` (the MFA settings page), against the dev IdP. */
  delegation: DelegationClientOptions
  /** The session and one-time stores `auth` uses (see stores.ts: REDIS_URL, DATABASE_URL, DEMO_STORE). */
  stores: DemoStores
}

const DEFAULT_PORTS: Record<DemoName, number> = { express: 3001, hono: 3002, nest: 3003, next: 3004 }

export function demoSettings(name: DemoName, env: Record<string, string | undefined>): DemoSettings {
  const stores = demoStores(name, env)
  const issuer = env['ISSUER'] ?? 'http://127.0.0.1:4000'
  // DEMO_CLIENT: another demo's registered client, so that instances of different frameworks
  // serve one application (the several-instances test runs the Hono demo as the Express one).
  const clientName = (env['DEMO_CLIENT'] ?? name) as DemoName
  if (!Object.hasOwn(DEMO_CLIENTS, clientName)) throw new Error(`DEMO_CLIENT: no demo client "${clientName}"`)
  const client = DEMO_CLIENTS[clientName]
  const production = env['NODE_ENV'] === 'production'
  // A fixed secret in development (sessions survive restarts); in production (the Next demo's
  // `next start`) never a published one, which @org/auth-core refuses there: a random one per
  // process unless SESSION_SECRET is set. A real deployment reads `openssl rand -base64 32`.
  const secret =
    env['SESSION_SECRET'] ??
    (production ? processSecret() : `${name}-demo-development-secret-not-for-production`)
  // The demos listen on loopback; in production mode the library wants the origin stated.
  const origin =
    env['APP_BASE_URL'] !== undefined
      ? { baseUrl: env['APP_BASE_URL'] }
      : production
        ? { trustHost: true }
        : {}
  const audience = env['AUDIENCE'] ?? 'https://api.example.test'
  return {
    issuer,
    port: Number(env['PORT'] ?? DEFAULT_PORTS[name]),
    // Discovery is lazy: the app may start before the identity provider answers.
    verifier: {
      issuer,
      audience,
      discovery: true,
      tokenType: 'access',
    },
    // The token server's RFC 9068 tokens, found through its RFC 8414 metadata.
    machineVerifier: {
      issuer: env['MACHINE_ISSUER'] ?? 'http://127.0.0.1:4100',
      audience,
      discovery: true,
      tokenType: 'access',
    },
    auth: {
      issuer,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      // The dev IdP listens on plain http on loopback, which the client allows anyway.
      scopes: ['openid', 'profile', 'email', 'offline_access', 'read', 'write'],
      // offline_access (a refresh token) needs an explicit consent prompt at oidc-provider.
      authorizationParams: { prompt: 'consent' },
      session: { secrets: secret, ...(stores.session === undefined ? {} : { store: stores.session }) },
      ...(stores.oneTime === undefined ? {} : { oneTimeStore: stores.oneTime }),
      // With a store that lists a user's sessions, signing out at the dev IdP POSTs a logout token
      // to /auth/backchannel-logout (registered for each demo client, see DEMO_CLIENTS) and the
      // demo's session ends on the spot. Cookie mode (DEMO_STORE=cookie) cannot end sessions.
      ...(typeof stores.session?.listUserSessions === 'function' ? { backchannelLogout: true } : {}),
      ...origin,
    },
    delegation: delegationOptions(client.clientId, issuer),
    stores,
  }
}

/** One random secret per process, shared by every bundle that loads this module (Next loads it more than once). */
function processSecret(): string {
  const holder = globalThis as { __orgDemoSessionSecret?: string }
  if (holder.__orgDemoSessionSecret === undefined) {
    const bytes = crypto.getRandomValues(new Uint8Array(32))
    holder.__orgDemoSessionSecret = btoa(String.fromCharCode(...bytes))
  }
  return holder.__orgDemoSessionSecret
}

/** The demo's delegation keys and the dev IdP's public ones (fixed development keys, see dev-keys.ts). */
function delegationOptions(spId: string, issuer: string): DelegationClientOptions {
  const sp = devDelegationKeys(spId)
  const idp = devDelegationKeys('idp')
  return {
    spId,
    baseUrl: `${issuer}/delegation`,
    spSigningKey: sp.signing.privateKeyPem,
    spEncryptionKey: sp.encryption.privateKeyPem,
    idpVerifyKey: idp.signing.publicKeyPem,
    idpEncryptionKey: idp.encryption.publicKeyPem,
  }
}

/**
 * The demo API's bearer verifier: it trusts the dev IdP and the token server, and routes each
 * token to the verifier of the issuer it names (`createResourceServer`).
 */
export function demoApiVerifier(settings: DemoSettings): ResourceServer {
  return createResourceServer({
    verifiers: [createTokenVerifier(settings.verifier), createTokenVerifier(settings.machineVerifier)],
  })
}
