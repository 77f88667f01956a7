/**
 * Where registered passkeys live. The relying party checks signatures against what a store
 * returns, so the two writes that decide security are atomic in every implementation: `create`
 * (one credential id, one owner, whoever races) and `recordUse` (a compare-and-set of the
 * signature counter, so two assertions carrying the same counter cannot both pass).
 */

import { PasskeyError } from './errors.js'

/** Transports as the browser reports them (`AuthenticatorTransport`), kept as strings. */
export type PasskeyTransport = string

/** One registered passkey. Times are epoch seconds. */
export interface PasskeyCredential {
  /** The credential id, base64url (as `PublicKeyCredential.id`). Unique across all users. */
  id: string
  /** The application's user id the credential was registered to. Never changes. */
  userId: string
  /** The COSE public key, base64url. Not secret, but never logged. */
  publicKey: string
  /** The last signature counter seen; 0 for authenticators without one (most synced passkeys). */
  counter: number
  /** How the browser may reach the authenticator (`internal`, `hybrid`, `usb`, …). */
  transports: PasskeyTransport[]
  /** The authenticator model, a UUID; all zeros when it did not say. */
  aaguid: string
  /** The readable provider of `aaguid` ("iCloud Keychain") when known, from the bundled partial map. */
  providerName: string | null
  /** The user's label: defaults to `providerName`, else "Passkey"; set by `renameCredential`. */
  name: string
  /** The attestation statement format at registration (`none`, `packed`, …). */
  attestationFormat: string
  /** Backup eligible (BE flag): a synced, multi-device passkey. */
  backupEligible: boolean
  /** Backed up (BS flag), as of the last ceremony. */
  backedUp: boolean
  /** When it was registered. */
  createdAt: number
  /** When it last signed a ceremony, `null` before its first use. */
  lastUsedAt: number | null
}

/** What `recordUse` writes after a verified assertion. */
export interface CredentialUse {
  counter: number
  backedUp: boolean
  lastUsedAt: number
}

export interface CredentialPage {
  credentials: PasskeyCredential[]
  /** All of the user's credentials, not only this page's. */
  total: number
}

export interface CredentialStore {
  /** Inserts `credential`; `false` (and no change) when its id is already registered, to anyone. Atomic. */
  create(credential: PasskeyCredential): Promise<boolean>
  /** The credential with this id, whoever owns it. */
  get(id: string): Promise<PasskeyCredential | undefined>
  /**
   * A user's credentials, oldest first (ties by id), skipping `offset` and returning at most
   * `limit`, with the user's total.
   */
  list(userId: string, offset: number, limit: number): Promise<CredentialPage>
  /**
   * Writes `use` when the stored counter still equals `expectedCounter`; `false` (no change) when it
   * does not or the credential is gone. Atomic: of two calls with the same expected counter, one wins.
   */
  recordUse(id: string, expectedCounter: number, use: CredentialUse): Promise<boolean>
  /** Sets the label; `false` when the credential is gone. */
  rename(id: string, name: string): Promise<boolean>
  /** Removes the credential; `false` when it was not there. */
  delete(id: string): Promise<boolean>
}

export interface MemoryCredentialStoreOptions {
  /** Most credentials held (all users); `create` then rejects. Default: 100,000. */
  maxEntries?: number
}

/** A store in this process: for tests and single-instance demos (credentials vanish on restart). */
export class MemoryCredentialStore implements CredentialStore {
  readonly #byId = new Map<string, PasskeyCredential>()
  readonly #maxEntries: number

  constructor(options: MemoryCredentialStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
  }

  async create(credential: PasskeyCredential): Promise<boolean> {
    if (this.#byId.has(credential.id)) return false
    if (this.#byId.size >= this.#maxEntries) {
      throw new PasskeyError('ERR_PASSKEY_STORE_FULL', 'The memory credential store is full')
    }
    this.#byId.set(credential.id, copy(credential))
    return true
  }

  async get(id: string): Promise<PasskeyCredential | undefined> {
    const found = this.#byId.get(id)
    return found === undefined ? undefined : copy(found)
  }

  async list(userId: string, offset: number, limit: number): Promise<CredentialPage> {
    const mine = [...this.#byId.values()]
      .filter((credential) => credential.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return { credentials: mine.slice(offset, offset + limit).map(copy), total: mine.length }
  }

  async recordUse(id: string, expectedCounter: number, use: CredentialUse): Promise<boolean> {
    const found = this.#byId.get(id)
    if (found === undefined || found.counter !== expectedCounter) return false
    this.#byId.set(id, { ...found, ...use })
    return true
  }

  async rename(id: string, name: string): Promise<boolean> {
    const found = this.#byId.get(id)
    if (found === undefined) return false
    this.#byId.set(id, { ...found, name })
    return true
  }

  async delete(id: string): Promise<boolean> {
    return this.#byId.delete(id)
  }
}

// Callers get copies: a record mutated by the application must not change what the store holds.
function copy(credential: PasskeyCredential): PasskeyCredential {
  return { ...credential, transports: [...credential.transports] }
}
