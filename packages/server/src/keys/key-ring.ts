/**
 * The token server's signing keys, with rotation and encryption at rest. A key goes through:
 *
 *   created ──(published)── activatesAt ──(signs)── retiredAt ──(published)── expiresAt
 *
 * A new key is published at once but signs only `publishBefore` later, so every verifier that
 * refreshes its JWKS cache in that time knows it before it meets a token it signed. When it
 * starts signing, the keys before it retire, and each stays published until every token it
 * signed has expired (`retiredAt + tokenTtl`). Times are decided on the ring's clock; records
 * live in a shared `KeyStore`, and instances re-read it every `refreshInterval`, which the
 * publication delay far exceeds, so a rotation made by one instance (or the CLI) reaches every
 * other before the new key signs.
 */
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import { importKek, type Kek, open, parseKek, seal } from './encryption.js'
import { KeyRingError } from './errors.js'
import { checkAlgorithm, generateSigningKey, publicJwkOf } from './generate.js'
import type { KeyRecord, KeyStore } from './key-store.js'
import type { SigningAlgorithm, SigningKey, SigningKeySource } from './signing-key-source.js'

export interface KeyRingOptions {
  /** Where the keys live: `createMemoryKeyStore()`, or `PostgresKeyStore` shared by every instance. */
  store: KeyStore
  /**
   * The key-encryption key: 32 bytes, or their base64/base64url text (e.g. from an environment
   * variable filled by `openssl rand -base64 32`). Required; anything else throws `ERR_KEK_INVALID`.
   */
  kek: Uint8Array | string
  /** Current time in epoch milliseconds. Default: `Date.now`. */
  now?: () => number
  /**
   * Seconds between a new key's publication and its first signature. It must exceed how long
   * verifiers cache the JWKS (the core's verifier: 10 min at most, and it refetches on an
   * unknown `kid`; other libraries commonly cache 5 min to 1 h). Default: 3600 (1 h).
   */
  publishBefore?: number
  /**
   * Seconds a retired key stays published: the longest lifetime of a token it signed, plus the
   * verifiers' clock leeway. Default: 3600 (1 h).
   */
  tokenTtl?: number
  /** Seconds the list of keys read from the store is reused before it is read again. Default: 30. */
  refreshInterval?: number
  /** Modulus length of new RS256 and PS256 keys (2048 or more). Default: 2048. */
  modulusLength?: number
}

/** A key's state at a given time (`signing` is the newest `active` key). */
export type KeyState = 'pending' | 'active' | 'retired' | 'expired'

/** A key as `list()` shows it: never private material. */
export interface KeyInfo {
  kid: string
  alg: SigningAlgorithm
  state: KeyState
  /** Whether it is the key `signingKey()` returns now. */
  signing: boolean
  publicJwk: JWK
  /** Epoch milliseconds. */
  createdAt: number
  activatesAt: number
  retiredAt: number | null
  expiresAt: number | null
}

export interface KeyRing extends SigningKeySource {
  /**
   * Adds a key: it signs from `activatesAt` (epoch ms), by default `publishBefore` from now, or at
   * once when no key signs yet (the first key has nobody to be published before). Retires nothing.
   */
  generate(alg: SigningAlgorithm, options?: { activatesAt?: number }): Promise<KeyInfo>
  /**
   * Adds a key as `generate` does (`alg` defaults to the signing key's, else ES256) and schedules
   * the retirement of every other unretired key at its activation.
   */
  rotate(alg?: SigningAlgorithm): Promise<KeyInfo>
  /** Every key with its state, expired ones included, oldest first. */
  list(): Promise<KeyInfo[]>
  /**
   * Stops a key signing now. It stays published `tokenTtl` longer, or leaves the JWKS at once with
   * `unpublish: true` (a compromised key: its tokens then stop verifying). Rotate first: with no
   * other active key, `signingKey()` fails until one is added.
   */
  retire(kid: string, options?: { unpublish?: boolean }): Promise<KeyInfo>
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback * 1000
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 366 * 86400) {
    throw new KeyRingError('ERR_KEY_OPTIONS', `"${name}" must be a number of seconds from 0 to one year`)
  }
  return value * 1000
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { store } = options
  const now = options.now ?? Date.now
  const publishBefore = seconds(options.publishBefore, 3600, 'publishBefore')
  const tokenTtl = seconds(options.tokenTtl, 3600, 'tokenTtl')
  const refreshInterval = seconds(options.refreshInterval, 30, 'refreshInterval')
  const modulusLength = options.modulusLength ?? 2048
  if (
    !Number.isInteger(modulusLength) ||
    modulusLength < 2048 ||
    modulusLength > 16384 ||
    modulusLength % 8 !== 0
  ) {
    throw new KeyRingError('ERR_KEY_OPTIONS', '"modulusLength" must be a multiple of 8 from 2048 to 16384')
  }
  // Validated now (a configuration error at start, not at the first token), imported lazily.
  const kekReady: Promise<Kek> = importKek(parseKek(options.kek))

  let cached: { records: KeyRecord[]; at: number } | undefined
  let loading: Promise<KeyRecord[]> | undefined
  // Decrypted keys, by kid and sealed form (a changed record is decrypted again).
  const unsealed = new Map<string, Promise<{ privateKey: CryptoKey; publicJwk: JWK }>>()

  async function records(): Promise<KeyRecord[]> {
    if (cached !== undefined && now() - cached.at < refreshInterval) return cached.records
    loading ??= store.list().then(
      (list) => {
        cached = { records: list, at: now() }
        loading = undefined
        return list
      },
      (error: unknown) => {
        loading = undefined
        throw error
      },
    )
    return loading
  }

  function stateOf(record: KeyRecord, at: number): KeyState {
    if (record.expiresAt !== null && record.expiresAt <= at) return 'expired'
    if (record.retiredAt !== null && record.retiredAt <= at) return 'retired'
    return record.activatesAt > at ? 'pending' : 'active'
  }

  /** The newest active key (records are ordered by activation). */
  function signer(list: KeyRecord[], at: number): KeyRecord | undefined {
    for (let i = list.length - 1; i >= 0; i--) {
      const record = list[i] as KeyRecord
      if (stateOf(record, at) === 'active') return record
    }
    return undefined
  }

  /**
   * Decrypts a record's private key and checks that it is the key its `kid` names: only a key
   * sealed under this KEK for this record is published or used, so a row written by whoever can
   * write the table, but does not hold the KEK, never gets into the JWKS.
   */
  // The same record object (the list is cached for refreshInterval) skips building the id.
  const unsealedByRecord = new WeakMap<KeyRecord, Promise<{ privateKey: CryptoKey; publicJwk: JWK }>>()

  function unseal(record: KeyRecord): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
    const known = unsealedByRecord.get(record)
    if (known !== undefined) return known
    const id = `${record.kid}$${record.alg}$${record.encryptedPrivateKey}`
    let entry = unsealed.get(id)
    if (entry === undefined) {
      entry = (async () => {
        checkAlgorithm(record.alg)
        const bytes = await open(await kekReady, record.kid, record.alg, record.encryptedPrivateKey)
        let jwk: JWK
        try {
          jwk = JSON.parse(decoder.decode(bytes)) as JWK
        } catch {
          throw new KeyRingError('ERR_KEY_FORMAT', `Signing key ${record.kid} does not hold a JWK`)
        }
        if ((await calculateJwkThumbprint(jwk, 'sha256')) !== record.kid) {
          throw new KeyRingError('ERR_KEY_TAMPERED', `Signing key ${record.kid} does not match its kid`)
        }
        const privateKey = (await importJWK(jwk, record.alg, { extractable: false })) as CryptoKey
        return { privateKey, publicJwk: publicJwkOf(jwk, record.kid, record.alg) }
      })()
      unsealed.set(id, entry)
      entry.catch(() => {
        unsealed.delete(id)
        unsealedByRecord.delete(record)
      })
    }
    unsealedByRecord.set(record, entry)
    return entry
  }

  function infoOf(record: KeyRecord, list: KeyRecord[], at: number): KeyInfo {
    const { encryptedPrivateKey: _, ...rest } = record
    return {
      ...rest,
      publicJwk: publicJwkOf(record.publicJwk, record.kid, record.alg),
      state: stateOf(record, at),
      signing: signer(list, at)?.kid === record.kid,
    }
  }

  async function fresh(): Promise<KeyRecord[]> {
    cached = undefined
    return records()
  }

  async function generate(alg: SigningAlgorithm, generateOptions: { activatesAt?: number } = {}) {
    checkAlgorithm(alg)
    const requested = generateOptions.activatesAt
    if (requested !== undefined && !Number.isFinite(requested)) {
      throw new KeyRingError('ERR_KEY_OPTIONS', '"activatesAt" must be epoch milliseconds')
    }
    const kek = await kekReady
    // Generated first (an RSA key can take a second): the delay counts from publication.
    const key = await generateSigningKey(alg, modulusLength)
    const at = now()
    const current = signer(await fresh(), at)
    const activatesAt = requested ?? (current === undefined ? at : at + publishBefore)
    const record: KeyRecord = {
      kid: key.kid,
      alg,
      publicJwk: key.publicJwk,
      encryptedPrivateKey: await seal(kek, key.kid, alg, encoder.encode(JSON.stringify(key.privateJwk))),
      createdAt: at,
      activatesAt,
      retiredAt: null,
      expiresAt: null,
    }
    // A thumbprint collision is impossible in practice; a duplicate means a store that lies.
    if (!(await store.insert(record))) {
      throw new KeyRingError('ERR_KEY_CONFLICT', `Signing key ${key.kid} exists`, 409)
    }
    const list = await fresh()
    return infoOf(record, list, now())
  }

  return {
    async signingKey(): Promise<SigningKey> {
      const record = signer(await records(), now())
      if (record === undefined) {
        throw new KeyRingError('ERR_KEY_NONE_ACTIVE', 'No signing key is active: generate or rotate one', 503)
      }
      const { privateKey } = await unseal(record)
      return { kid: record.kid, alg: record.alg, privateKey }
    },

    async publicJwks() {
      const at = now()
      const published = (await records()).filter((record) => stateOf(record, at) !== 'expired')
      const keys = await Promise.all(published.map(async (record) => (await unseal(record)).publicJwk))
      return { keys }
    },

    generate,

    async rotate(alg) {
      const at = now()
      const list = await fresh()
      const next = await generate(alg ?? signer(list, at)?.alg ?? 'ES256')
      for (const record of list) {
        if (record.retiredAt !== null || record.kid === next.kid) continue
        await store.retire(record.kid, next.activatesAt, next.activatesAt + tokenTtl)
      }
      return infoOf((await store.get(next.kid)) ?? missing(next.kid), await fresh(), now())
    },

    async list() {
      const list = await fresh()
      const at = now()
      return list.map((record) => infoOf(record, list, at))
    },

    async retire(kid, retireOptions = {}) {
      const at = now()
      await store.retire(kid, at, retireOptions.unpublish === true ? at : at + tokenTtl)
      const record = (await store.get(kid)) ?? missing(kid)
      return infoOf(record, await fresh(), now())
    },
  }
}

function missing(kid: string): never {
  throw new KeyRingError('ERR_KEY_NOT_FOUND', `No signing key ${kid}`, 404)
}
