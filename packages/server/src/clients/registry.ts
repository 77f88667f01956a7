/**
 * The client registry: crossauth's `OAuthClientManager` and Steelcut's client commands over a
 * `ClientStore`. Generates ids and secrets, hashes secrets (secrets.ts says why HMAC-SHA-256),
 * validates metadata (validate.ts), and verifies a client's secret for the token server.
 */
import { ConfigurationError } from '@org/auth-core'
import { nativeCrypto } from '../native-crypto.js'
import { createAuthCache, NO_AUTH_CACHE } from './auth-cache.js'
import { ClientRegistryError } from './errors.js'
import { checkJwks } from './jwks.js'
import {
  decoyHash,
  generateClientId,
  generateSecret,
  hashSecret,
  MAX_SECRET_LENGTH,
  matches,
  parseHash,
} from './secrets.js'
import type { ClientRecord, ClientStore, GrantType, StoredClient, TokenEndpointAuthMethod } from './store.js'
import {
  checkAudiences,
  checkAuthMethod,
  checkClientType,
  checkCombination,
  checkGracePeriod,
  checkGrantTypes,
  checkName,
  checkOwner,
  checkRedirectUris,
  checkScopes,
  SECRET_METHODS,
} from './validate.js'

export interface CreateClientInput {
  name: string
  clientType: 'confidential' | 'public'
  grantTypes: GrantType[]
  /** Scopes it may be granted. Default: none. */
  scopes?: string[]
  /** Resources (RFC 8707) it may ask tokens for. Default: none. */
  audiences?: string[]
  /** Required with `authorization_code`. Default: none. */
  redirectUris?: string[]
  /** Default: null. */
  owner?: string | null
  /**
   * How it authenticates at the token endpoint. Default: `client_secret_basic` for a confidential
   * client (which may then use `client_secret_post` too), `none` for a public one. A
   * `private_key_jwt` client gets no secret and needs `jwks`.
   */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod
  /**
   * With `private_key_jwt` only, and then required: a JWK Set of 1 to 10 PUBLIC signing keys
   * (kty RSA ≥ 2048 bits, EC P-256/P-384/P-521, OKP Ed25519; no private members, no `oct`).
   */
  jwks?: { keys: unknown[] }
}

/**
 * What `update` may change: everything but the id, the type and the secret. `jwks` replaces the
 * keys of a `private_key_jwt` client (rotation: publish the new key beside the old, then drop the
 * old); `tokenEndpointAuthMethod` may only switch between the two secret methods.
 */
export type UpdateClientInput = Partial<Omit<CreateClientInput, 'clientType'>>

export interface CreatedClient {
  client: ClientRecord
  clientId: string
  /**
   * The secret, returned this once and never again (it is stored only hashed); none for a public
   * or `private_key_jwt` client.
   */
  clientSecret?: string
}

export interface ClientRegistryOptions {
  store: ClientStore
  /** Current time in milliseconds, for `createdAt` and `updatedAt`. Default: `Date.now`. */
  now?: () => number
  /**
   * Seconds that `verifySecret` and `assertionClient` may reuse a client read from the store
   * (0 to 300). A change made elsewhere (another instance, the CLI) then reaches this registry
   * within that time: until then a disabled client or an old secret may still authenticate here.
   * Changes made through this registry apply here at once. A cached client also answers sooner
   * than an unknown id (which is never cached): timing then tells whether an id is registered
   * (ids are identifiers, not secrets; checking a secret stays the same work whatever it is).
   * Default: 0 (read every time).
   */
  cacheSeconds?: number
  /** Most clients cached. Default: 10,000. */
  cacheEntries?: number
}

export interface ClientRegistry {
  create(input: CreateClientInput): Promise<CreatedClient>
  update(clientId: string, changes: UpdateClientInput): Promise<ClientRecord>
  /**
   * A new secret, returned once. The old one keeps working for `gracePeriodSeconds` (default 0:
   * it stops at once), so deployments can switch over; a later rotation ends an earlier grace.
   */
  rotateSecret(input: { clientId: string; gracePeriodSeconds?: number }): Promise<{ clientSecret: string }>
  /** Refuses the client's secrets from now on; `enable` undoes it. */
  disable(clientId: string): Promise<ClientRecord>
  enable(clientId: string): Promise<ClientRecord>
  /** Never a secret or a hash. */
  show(clientId: string): Promise<ClientRecord>
  list(filter?: { owner?: string }): Promise<ClientRecord[]>
  /**
   * The client when `secret` is its secret (or its previous one within the grace period) and it
   * is enabled; otherwise undefined. An unknown client, a disabled one, a public one and a wrong
   * secret get the same answer after the same work: one store read, two HMACs, two constant-time
   * comparisons.
   */
  verifySecret(clientId: string, secret: string): Promise<ClientRecord | undefined>
  /**
   * The client whose registered `jwks` verify its `private_key_jwt` assertions, when it is enabled
   * and registered for that method; otherwise undefined (the token server refuses it all the same).
   */
  assertionClient(clientId: string): Promise<ClientRecord | undefined>
}

const MAX_CLIENT_ID = 256

/**
 * Secrets that verified against a record the authentication cache holds, by fingerprint: the
 * next request with the same secret skips both HMACs (a tenth of a token's CPU under load,
 * `pnpm bench:token`). Tied to the record object, so whatever the cache reads anew (a rotation, a
 * disable, the end of a grace period, or every read when `cacheSeconds` is 0) starts empty. Only
 * successes are remembered and a disabled client never looks: every refusal still does the full,
 * equal work. Fingerprints are SHA-256 digests of 256-bit secrets, never the secrets.
 */
const verifiedSecrets = new WeakMap<StoredClient, Set<string>>()
// A client has at most two valid secrets (during a grace period); a few more cost nothing.
const MAX_VERIFIED_PER_RECORD = 4

/** The fingerprint of a presented secret, where `node:crypto` is lent (else no memo). */
function secretFingerprint(secret: string): string | undefined {
  return nativeCrypto()?.sha256Base64(secret)
}

function rememberVerified(stored: StoredClient, fingerprint: string): void {
  let verified = verifiedSecrets.get(stored)
  if (verified === undefined) {
    verified = new Set()
    verifiedSecrets.set(stored, verified)
  }
  if (verified.size < MAX_VERIFIED_PER_RECORD) verified.add(fingerprint)
}
const ATTEMPTS = 3

/**
 * A record as this release describes it. Records written before `tokenEndpointAuthMethod` and
 * `jwks` existed lack them: they authenticated with a secret (or not at all, if public).
 */
function withDefaults(client: ClientRecord): ClientRecord {
  const stored = client as Partial<ClientRecord> & ClientRecord
  return {
    ...client,
    tokenEndpointAuthMethod:
      stored.tokenEndpointAuthMethod ?? (client.clientType === 'public' ? 'none' : 'client_secret_basic'),
    jwks: stored.jwks ?? null,
  }
}

const authMethodFixed = () =>
  new ClientRegistryError(
    'ERR_CLIENT_AUTH_METHOD',
    'Only a switch between client_secret_basic and client_secret_post can be made: create another client',
  )

const notFound = () => new ClientRegistryError('ERR_CLIENT_NOT_FOUND', 'No client has this id', 404)
const conflict = () =>
  new ClientRegistryError(
    'ERR_CLIENT_CONFLICT',
    'The client changed while this change was made; try again',
    409,
  )

export function createClientRegistry(options: ClientRegistryOptions): ClientRegistry {
  const store = options.store
  const read = async (clientId: string) => {
    const client = await store.get(clientId)
    return client === undefined ? undefined : withDefaults(client)
  }
  const readWithSecrets = async (clientId: string) => {
    const stored = await store.getWithSecrets(clientId)
    return stored === undefined ? undefined : { ...stored, client: withDefaults(stored.client) }
  }
  const now = options.now ?? Date.now
  const seconds = () => Math.floor(now() / 1000)
  const cacheSeconds = checkCacheOption(options.cacheSeconds, 'cacheSeconds', 0, 300)
  const cache =
    cacheSeconds === 0
      ? NO_AUTH_CACHE
      : createAuthCache(
          cacheSeconds,
          checkCacheOption(options.cacheEntries, 'cacheEntries', 10_000, 1_000_000),
          now,
        )
  const authenticationRead = (clientId: string) => cache.read(clientId, readWithSecrets)
  // Stands in for a missing hash: verification hashes against it and never matches.
  const decoy = decoyHash()

  /** Reads, changes and compare-and-sets the record, again on a lost race (a few times). */
  async function change(
    clientId: string,
    apply: (client: ClientRecord) => ClientRecord,
  ): Promise<ClientRecord> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await read(clientId)
      if (current === undefined) throw notFound()
      const next = { ...apply(current), clientId, updatedAt: seconds(), revision: current.revision + 1 }
      if (await store.replace(next, current.revision)) {
        cache.forget(clientId)
        return next
      }
    }
    throw conflict()
  }

  return {
    async create(input) {
      const clientType = checkClientType(input?.clientType)
      const tokenEndpointAuthMethod = checkAuthMethod(input.tokenEndpointAuthMethod, clientType)
      const jwks = input.jwks === undefined ? null : await checkJwks(input.jwks)
      const now = seconds()
      const record: Omit<ClientRecord, 'clientId'> = {
        name: checkName(input.name),
        clientType,
        grantTypes: checkGrantTypes(input.grantTypes),
        scopes: checkScopes(input.scopes),
        audiences: checkAudiences(input.audiences),
        redirectUris: checkRedirectUris(input.redirectUris),
        owner: checkOwner(input.owner),
        tokenEndpointAuthMethod,
        jwks,
        disabled: false,
        createdAt: now,
        updatedAt: now,
        revision: 1,
      }
      checkCombination(record)
      // Only the secret methods get a secret: a private_key_jwt client has nothing to leak.
      const clientSecret = SECRET_METHODS.includes(tokenEndpointAuthMethod) ? generateSecret() : undefined
      const secretHash = clientSecret === undefined ? null : await hashSecret(clientSecret)
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        // 128 random bits: a collision is a broken random source, retried all the same.
        const client = { clientId: generateClientId(), ...record }
        if (await store.insert(client, secretHash)) {
          return clientSecret === undefined
            ? { client, clientId: client.clientId }
            : { client, clientId: client.clientId, clientSecret }
        }
      }
      throw conflict()
    },

    async update(clientId, changes) {
      if (typeof changes !== 'object' || changes === null) {
        throw new ClientRegistryError('ERR_CLIENT_UPDATE', 'update() takes an object of changes')
      }
      if ('clientType' in changes) {
        throw new ClientRegistryError(
          'ERR_CLIENT_TYPE',
          'A client\u2019s type cannot change: create another client',
        )
      }
      // Checked once, before any read: the same values are applied on a retry.
      const checked: Partial<ClientRecord> = {}
      if (changes.name !== undefined) checked.name = checkName(changes.name)
      if (changes.grantTypes !== undefined) checked.grantTypes = checkGrantTypes(changes.grantTypes)
      if (changes.scopes !== undefined) checked.scopes = checkScopes(changes.scopes)
      if (changes.audiences !== undefined) checked.audiences = checkAudiences(changes.audiences)
      if (changes.redirectUris !== undefined) checked.redirectUris = checkRedirectUris(changes.redirectUris)
      if (changes.owner !== undefined) checked.owner = checkOwner(changes.owner)
      if (changes.jwks !== undefined) checked.jwks = await checkJwks(changes.jwks)
      const method = changes.tokenEndpointAuthMethod
      if (method !== undefined && !SECRET_METHODS.includes(method)) throw authMethodFixed()
      return change(clientId, (client) => {
        if (method !== undefined && method !== client.tokenEndpointAuthMethod) {
          // basic ↔ post only: the secret stays valid for both, nothing else changes.
          if (!SECRET_METHODS.includes(client.tokenEndpointAuthMethod)) throw authMethodFixed()
          checked.tokenEndpointAuthMethod = method
        }
        const next = { ...client, ...checked }
        checkCombination(next)
        return next
      })
    },

    async rotateSecret(input) {
      const clientId = input?.clientId
      const grace = checkGracePeriod(input?.gracePeriodSeconds)
      if (typeof clientId !== 'string') throw notFound()
      const stored = await readWithSecrets(clientId)
      if (stored === undefined) throw notFound()
      if (stored.client.tokenEndpointAuthMethod === 'private_key_jwt') {
        throw new ClientRegistryError(
          'ERR_CLIENT_AUTH_METHOD',
          'A private_key_jwt client has no secret: replace its keys with update({ jwks })',
        )
      }
      if (stored.secretHash === null) {
        throw new ClientRegistryError('ERR_CLIENT_PUBLIC', 'A public client has no secret to rotate')
      }
      if (stored.client.disabled) {
        throw new ClientRegistryError('ERR_CLIENT_DISABLED', 'The client is disabled: enable it first', 409)
      }
      const clientSecret = generateSecret()
      // Compare-and-set on the hash read above: of concurrent rotations exactly one takes effect,
      // and the others fail rather than turning the winner's new secret into a grace secret.
      if (!(await store.rotateSecret(clientId, stored.secretHash, await hashSecret(clientSecret), grace))) {
        throw conflict()
      }
      cache.forget(clientId)
      return { clientSecret }
    },

    disable: (clientId) => change(clientId, (client) => ({ ...client, disabled: true })),
    enable: (clientId) => change(clientId, (client) => ({ ...client, disabled: false })),

    async show(clientId) {
      const client = typeof clientId === 'string' ? await read(clientId) : undefined
      if (client === undefined) throw notFound()
      return client
    },

    list: async (filter) => (await store.list(filter)).map(withDefaults),

    async verifySecret(clientId, secret) {
      // An id no registry generates is looked up all the same (up to a bound): skipping the read
      // would make it answer sooner. Beyond the bound it is not sent to the store.
      const usableId = typeof clientId === 'string' && clientId.length <= MAX_CLIENT_ID
      const stored = usableId ? await authenticationRead(clientId) : undefined
      const usableSecret = typeof secret === 'string' && secret.length <= MAX_SECRET_LENGTH
      const given = usableSecret ? secret : ''
      const fingerprint = secretFingerprint(given)
      if (stored !== undefined && fingerprint !== undefined && !stored.client.disabled) {
        if (verifiedSecrets.get(stored)?.has(fingerprint)) return stored.client
      }
      const current = (stored?.secretHash != null && parseHash(stored.secretHash)) || decoy
      const previous = (stored?.previousSecretHash != null && parseHash(stored.previousSecretHash)) || decoy
      // Both always computed and compared, so the work is the same with or without a grace secret.
      const [matchesCurrent, matchesPrevious] = await Promise.all([
        matches(current, given),
        matches(previous, given),
      ])
      const matched = (matchesCurrent && current !== decoy) || (matchesPrevious && previous !== decoy)
      if (!matched || !usableSecret || stored === undefined || stored.client.disabled) return undefined
      if (fingerprint !== undefined) rememberVerified(stored, fingerprint)
      return stored.client
    },

    async assertionClient(clientId) {
      // Not the equal-work dance of verifySecret: what is secret here is the client's private
      // key, which no answer time reveals. Client ids themselves are identifiers, not secrets.
      if (typeof clientId !== 'string' || clientId.length > MAX_CLIENT_ID) return undefined
      const client = (await authenticationRead(clientId))?.client
      if (client?.tokenEndpointAuthMethod !== 'private_key_jwt' || client.disabled) return undefined
      return client
    },
  }
}

function checkCacheOption(value: unknown, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new ConfigurationError(`"${name}" must be a whole number from 0 to ${max}`)
  }
  return value
}
