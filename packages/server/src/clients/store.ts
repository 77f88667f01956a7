/**
 * Where the client registry keeps its clients. The store holds records and secret HASHES only; it
 * never sees a secret. Every method is one atomic step on its own (one SQL statement, or code
 * without an `await` in the memory store): updates and rotations are compare-and-set, so two
 * administrators racing each other never both win, and a lost update is refused, not merged.
 */
import { ClientRegistryError } from './errors.js'
import type { ClientJwk } from './jwks.js'

/** The grant types a client may be registered for. */
export type GrantType =
  | 'client_credentials'
  | 'authorization_code'
  | 'refresh_token'
  | 'password'
  | 'urn:ietf:params:oauth:grant-type:device_code'

/**
 * How a client authenticates at the token endpoint (RFC 7591 §2 names). A secret client may use
 * either secret method whichever it is registered with; a `private_key_jwt` client only signed
 * assertions (RFC 7523 §2.2); `none` is a public client's.
 */
export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none'

/** A client as `show` and `list` return it: never a secret, never a hash. */
export interface ClientRecord {
  /** Random, URL-safe (`oac_` + 22 base64url characters); the store's key. */
  clientId: string
  name: string
  /** Confidential clients authenticate with a secret; public clients have none. */
  clientType: 'confidential' | 'public'
  grantTypes: GrantType[]
  /**
   * Records stored before this field existed read as `client_secret_basic` (confidential) or
   * `none` (public): the registry fills it in, so stores need no migration.
   */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod
  /** The public keys verifying a `private_key_jwt` client's assertions; null for every other method. */
  jwks: { keys: ClientJwk[] } | null
  /** The scopes the client may be granted (RFC 6749 §3.3 tokens). */
  scopes: string[]
  /** The resources (RFC 8707 absolute URIs) it may ask tokens for. */
  audiences: string[]
  /** Absolute `https` URIs, or `http` on a loopback host; for `authorization_code`. */
  redirectUris: string[]
  /** Who manages the client (a user id, a team): free text, or null. */
  owner: string | null
  disabled: boolean
  /** Epoch seconds. */
  createdAt: number
  /** Epoch seconds of the last change of the record (a secret rotation is not one). */
  updatedAt: number
  /** Bumped by every change of the record: what `replace` compares and sets. */
  revision: number
}

/** A client with its secret hashes, for verification and rotation only. */
export interface StoredClient {
  client: ClientRecord
  /** The stored form (`hmac-sha256$salt$digest`) of the current secret; null for a public client. */
  secretHash: string | null
  /** The stored form of the previous secret while its grace period lasts (store's clock), else null. */
  previousSecretHash: string | null
}

export interface ClientStore {
  /** Adds a client; false (and nothing written) when its id is taken. */
  insert(client: ClientRecord, secretHash: string | null): Promise<boolean>
  /** The record, or undefined. */
  get(clientId: string): Promise<ClientRecord | undefined>
  /** Every client, or the clients of one owner, ordered by `clientId`. */
  list(filter?: { owner?: string }): Promise<ClientRecord[]>
  /** The record and its secret hashes (the previous one only within its grace period). */
  getWithSecrets(clientId: string): Promise<StoredClient | undefined>
  /**
   * Replaces the record (never the secrets) when the stored revision is `expectedRevision`;
   * `client.revision` is the new one. False when the client is gone or changed meanwhile.
   */
  replace(client: ClientRecord, expectedRevision: number): Promise<boolean>
  /**
   * Makes `newHash` the secret when the current one is still `expectedHash`; the old one stays
   * valid for `graceSeconds` on the store's clock (0: at once invalid). False when the client is
   * gone or its secret changed meanwhile: of concurrent rotations exactly one succeeds.
   */
  rotateSecret(
    clientId: string,
    expectedHash: string,
    newHash: string,
    graceSeconds: number,
  ): Promise<boolean>
}

export interface MemoryClientStoreOptions {
  /** Most clients kept; inserting one more throws `ERR_CLIENT_STORE_FULL`. Default: 10000. */
  maxClients?: number
  /** Current time in milliseconds, for grace periods. Default: `Date.now`. */
  now?: () => number
}

interface Row {
  client: ClientRecord
  secretHash: string | null
  previousSecretHash: string | null
  /** Epoch milliseconds. */
  previousExpiresAt: number
}

const copy = (client: ClientRecord): ClientRecord => ({
  ...client,
  grantTypes: [...client.grantTypes],
  scopes: [...client.scopes],
  audiences: [...client.audiences],
  redirectUris: [...client.redirectUris],
  // Records written before `jwks` existed have none: copied as they are, filled in by the registry.
  ...(client.jwks == null ? {} : { jwks: structuredClone(client.jwks) }),
})

/**
 * The in-memory client store: for development, tests and single-instance demos; clients are
 * lost on restart. No method awaits between reading and writing, which makes each atomic.
 */
export function createMemoryClientStore(options: MemoryClientStoreOptions = {}): ClientStore {
  const maxClients = options.maxClients ?? 10_000
  const now = options.now ?? Date.now
  const rows = new Map<string, Row>()
  return {
    async insert(client, secretHash) {
      if (rows.has(client.clientId)) return false
      if (rows.size >= maxClients) {
        throw new ClientRegistryError('ERR_CLIENT_STORE_FULL', 'The memory client store is full', 503)
      }
      rows.set(client.clientId, {
        client: copy(client),
        secretHash,
        previousSecretHash: null,
        previousExpiresAt: 0,
      })
      return true
    },
    async get(clientId) {
      const row = rows.get(clientId)
      return row === undefined ? undefined : copy(row.client)
    },
    async list(filter = {}) {
      return [...rows.values()]
        .filter((row) => filter.owner === undefined || row.client.owner === filter.owner)
        .map((row) => copy(row.client))
        .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
    },
    async getWithSecrets(clientId) {
      const row = rows.get(clientId)
      if (row === undefined) return undefined
      return {
        client: copy(row.client),
        secretHash: row.secretHash,
        previousSecretHash: row.previousExpiresAt > now() ? row.previousSecretHash : null,
      }
    },
    async replace(client, expectedRevision) {
      const row = rows.get(client.clientId)
      if (row === undefined || row.client.revision !== expectedRevision) return false
      row.client = copy(client)
      return true
    },
    async rotateSecret(clientId, expectedHash, newHash, graceSeconds) {
      const row = rows.get(clientId)
      if (row === undefined || row.secretHash === null || row.secretHash !== expectedHash) return false
      row.previousSecretHash = graceSeconds > 0 ? row.secretHash : null
      row.previousExpiresAt = graceSeconds > 0 ? now() + graceSeconds * 1000 : 0
      row.secretHash = newHash
      return true
    },
  }
}
