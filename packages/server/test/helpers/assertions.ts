/**
 * private_key_jwt test fixtures: a token server on a fake clock, clients registered with freshly
 * generated key pairs, and client assertions signed with jose exactly as a client would (or, for
 * hostile tests, as it should not).
 */
import { fakeClock } from '@org/test-kit/store-contracts'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import {
  type ClientRegistry,
  type CreateClientInput,
  createClientRegistry,
  createMemoryClientStore,
  createTokenServer,
  generateSigningKey,
  staticSigningKeys,
  type TokenServerOptions,
} from '../../src/index.js'

export const ISSUER = 'https://auth.example.com/m2m'
export const TOKEN_ENDPOINT = `${ISSUER}/token`
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
export const API = 'https://api.example.com/'
/** The one answer to every failed client authentication. */
export const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' }

export const machine: CreateClientInput = {
  name: 'Signing worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['invoices:read'],
  audiences: [API],
}

export interface KeyClient {
  clientId: string
  alg: string
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
}

/** A private_key_jwt client with one key of `alg` (registered without `alg`, with a `kid`). */
export async function registerKeyClient(registry: ClientRegistry, alg: string): Promise<KeyClient> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const kid = `${alg}-${crypto.randomUUID()}`
  const created = await registry.create({
    ...machine,
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] },
  })
  return { clientId: created.clientId, alg, kid, privateKey, publicKey }
}

export async function setup(options: Partial<TokenServerOptions> = {}) {
  const clock = fakeClock(1_800_000_000_000)
  const registry = createClientRegistry({
    store: createMemoryClientStore({ now: clock.now }),
    now: clock.now,
  })
  const handler = createTokenServer({
    issuer: ISSUER,
    clients: registry,
    keys: staticSigningKeys([await generateSigningKey('ES256')]),
    now: clock.now,
    ...options,
  })
  const client = await registerKeyClient(registry, 'ES256')
  return { clock, registry, handler, client }
}

export interface AssertionChanges {
  /** Claims to set; `undefined` removes a claim. */
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  /** Sign with this key instead of the client's. */
  key?: CryptoKey | Uint8Array
}

/** An assertion as RFC 7523 §3 wants it (one minute, aud = issuer), changed by `changes`. */
export async function signAssertion(
  client: KeyClient,
  nowMs: number,
  changes: AssertionChanges = {},
): Promise<string> {
  const now = Math.floor(nowMs / 1000)
  const claims: Record<string, unknown> = {
    iss: client.clientId,
    sub: client.clientId,
    aud: ISSUER,
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 60,
    ...changes.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: client.alg, kid: client.kid, ...changes.header } as { alg: string })
    .sign(changes.key ?? client.privateKey)
}

export function assertionRequest(
  assertion: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Request {
  return new Request(TOKEN_ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
      ...extra,
    }).toString(),
  })
}

export async function read(response: Response) {
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: JSON.parse(text) }
}
