/**
 * Where the key ring keeps its signing keys: public JWKs, private keys ENCRYPTED under the
 * key-encryption key (the store never sees a private key in clear), and the times that decide
 * each key's state. The store only keeps records; the key ring decides, on its clock, which key
 * signs and which are published. Every method is one atomic step (one SQL statement, or code
 * without an `await` in the memory store).
 */
import type { JWK } from 'jose'
import { KeyRingError } from './errors.js'
import type { SigningAlgorithm } from './signing-key-source.js'

export interface KeyRecord {
  /** The RFC 7638 thumbprint (SHA-256) of the public key: the store's key, and the JWK's `kid`. */
  kid: string
  alg: SigningAlgorithm
  /** The public key as published: `kty`, its public members, `kid`, `alg`, `use: "sig"`. */
  publicJwk: JWK
  /** The private key, sealed by the key ring (`a256gcm-v1$…`): opaque text to the store. */
  encryptedPrivateKey: string
  /** Epoch milliseconds. */
  createdAt: number
  /** Epoch milliseconds from which the key may sign; it is published from `createdAt`. */
  activatesAt: number
  /** Epoch milliseconds from which it signs no more, or null while it is not retired. */
  retiredAt: number | null
  /** Epoch milliseconds from which it is no longer published (`retiredAt` + the token lifetime), or null. */
  expiresAt: number | null
}

export interface KeyStore {
  /** Adds a key; false (and nothing written) when its `kid` is taken. */
  insert(record: KeyRecord): Promise<boolean>
  /** The record, or undefined. */
  get(kid: string): Promise<KeyRecord | undefined>
  /** Every key, expired ones included, ordered by `activatesAt`, then `kid`. */
  list(): Promise<KeyRecord[]>
  /**
   * Moves `retiredAt` and `expiresAt` to the given times where they are later or unset: the
   * earlier retirement and the earlier end of publication win. False when the key is unknown.
   */
  retire(kid: string, retiredAt: number, expiresAt: number): Promise<boolean>
}

export interface MemoryKeyStoreOptions {
  /** Most keys kept; inserting one more throws `ERR_KEY_STORE_FULL`. Default: 1000. */
  maxKeys?: number
}

const copy = (record: KeyRecord): KeyRecord => ({ ...record, publicJwk: { ...record.publicJwk } })

/**
 * The in-memory key store: for development, tests and single-instance demos. Keys are lost on
 * restart, and with them every token they signed stops verifying: production uses a shared,
 * durable store (`PostgresKeyStore` of `@org/auth-postgres`).
 */
export function createMemoryKeyStore(options: MemoryKeyStoreOptions = {}): KeyStore {
  const maxKeys = options.maxKeys ?? 1000
  const rows = new Map<string, KeyRecord>()
  return {
    async insert(record) {
      if (rows.has(record.kid)) return false
      if (rows.size >= maxKeys) {
        throw new KeyRingError('ERR_KEY_STORE_FULL', 'The memory key store is full', 503)
      }
      rows.set(record.kid, copy(record))
      return true
    },
    async get(kid) {
      const row = rows.get(kid)
      return row === undefined ? undefined : copy(row)
    },
    async list() {
      return [...rows.values()].map(copy).sort(byActivation)
    },
    async retire(kid, retiredAt, expiresAt) {
      const row = rows.get(kid)
      if (row === undefined) return false
      row.retiredAt = row.retiredAt === null ? retiredAt : Math.min(row.retiredAt, retiredAt)
      row.expiresAt = row.expiresAt === null ? expiresAt : Math.min(row.expiresAt, expiresAt)
      return true
    },
  }
}

/** The order of `list()`: by activation, then by `kid` (code units, as PostgreSQL's "C" collation). */
export function byActivation(a: KeyRecord, b: KeyRecord): number {
  if (a.activatesAt !== b.activatesAt) return a.activatesAt - b.activatesAt
  return a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0
}
