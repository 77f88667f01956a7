/**
 * The settings every demo starts with: the dev identity provider's issuer, the demo API's
 * audience, and the login options of the demo's registered client. Environment variables
 * override the defaults that match `npm run demo`.
 */
import type { AuthOptions, TokenVerifierOptions } from '@org/auth-core'
import type { DelegationClientOptions } from '@org/auth-core/delegation'
import { DEMO_CLIENTS } from '@org/dev-idp'
import { devDelegationKeys } from './dev-keys.js'

export type DemoName = keyof typeof DEMO_CLIENTS

export interface DemoSettings {
  issuer: string
  port: number
  /** Options for the bearer verifier of the demo's API routes. */
  verifier: TokenVerifierOptions
  /** Options for `createAuth` (the web login). */
  auth: AuthOptions
  /** Options for `DelegationClient.fromKeys` (the MFA settings page), against the dev IdP. */
  delegation: DelegationClientOptions
}

const DEFAULT_PORTS: Record<DemoName, number> = { express: 3001, hono: 3002, nest: 3003, next: 3004 }

export function demoSettings(name: DemoName, env: Record<string, string | undefined>): DemoSettings {
  const issuer = env['ISSUER'] ?? 'http://127.0.0.1:4000'
  const client = DEMO_CLIENTS[name]
  // A fixed development secret; a real deployment reads a random one (`openssl rand -base64 32`).
  const secret = env['SESSION_SECRET'] ?? `${name}-demo-development-secret-not-for-production`
  return {
    issuer,
    port: Number(env['PORT'] ?? DEFAULT_PORTS[name]),
    // Discovery is lazy: the app may start before the identity provider answers.
    verifier: {
      issuer,
      audience: env['AUDIENCE'] ?? 'https://api.example.test',
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
      session: { secrets: secret },
    },
    delegation: delegationOptions(client.clientId, issuer),
  }
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
