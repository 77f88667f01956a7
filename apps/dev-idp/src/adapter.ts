import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider'

interface Entry {
  payload: AdapterPayload
  /** Epoch milliseconds; undefined means no expiry. */
  expiresAt: number | undefined
}

/** Prune expired entries once the store grows past this many (keeps a long-running demo bounded). */
const PRUNE_THRESHOLD = 5_000

/** Models whose records belong to a grant and are revoked with it. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
])

/**
 * In-memory storage shared by every Provider instance one dev IdP builds.
 *
 * oidc-provider's built-in memory adapter creates a new store per Provider, so rebuilding the
 * Provider on key rotation would forget sessions, grants and refresh tokens (and it logs a
 * warning). One store per dev IdP keeps state across rotations and isolates parallel IdPs.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>()
  readonly #grants = new Map<string, Set<string>>()
  readonly #sessionUids = new Map<string, string>()
  readonly #userCodes = new Map<string, string>()

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.payload
  }

  set(model: string, id: string, payload: AdapterPayload, expiresIn: number | undefined): void {
    const key = `${model}:${id}`
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined
    this.#entries.set(key, { payload, expiresAt })
    if (model === 'Session' && payload.uid) this.#sessionUids.set(payload.uid, id)
    if (payload.userCode) this.#userCodes.set(payload.userCode, id)
    if (GRANTABLE.has(model) && payload.grantId) {
      const members = this.#grants.get(payload.grantId) ?? new Set<string>()
      members.add(key)
      this.#grants.set(payload.grantId, members)
    }
    if (this.#entries.size > PRUNE_THRESHOLD) this.#prune()
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  idForSessionUid(uid: string): string | undefined {
    return this.#sessionUids.get(uid)
  }

  idForUserCode(userCode: string): string | undefined {
    return this.#userCodes.get(userCode)
  }

  revokeGrant(grantId: string): void {
    for (const key of this.#grants.get(grantId) ?? []) this.#entries.delete(key)
    this.#grants.delete(grantId)
  }

  clear(): void {
    this.#entries.clear()
    this.#grants.clear()
    this.#sessionUids.clear()
    this.#userCodes.clear()
  }

  #prune(): void {
    const now = Date.now()
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key)
    }
  }
}

class MemoryAdapter implements Adapter {
  readonly #model: string
  readonly #store: MemoryStore

  constructor(model: string, store: MemoryStore) {
    this.#model = model
    this.#store = store
  }

  #key(id: string): string {
    return `${this.#model}:${id}`
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.#store.set(this.#model, id, payload, expiresIn)
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#key(id))
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idForSessionUid(uid)
    return id === undefined ? undefined : this.find(id)
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.#store.idForUserCode(userCode)
    return id === undefined ? undefined : this.find(id)
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id))
    if (payload) payload.consumed = Math.floor(Date.now() / 1000)
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id))
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.revokeGrant(grantId)
  }
}

export function memoryAdapterFactory(store: MemoryStore): AdapterFactory {
  return (model: string) => new MemoryAdapter(model, store)
}
