/**
 * DPoP keys of web sessions (`createAuth({ dpop })`): a login's key is made before the
 * authorization request (its thumbprint binds the code), kept in the transaction, then in the
 * session; each later use (refresh, `sessionFetch`) imports it back, once per key
 * while it stays in a bounded cache.
 */
import type { JWK } from 'jose'
import { createDpopKey, type DPoPKey, exportDpopKey, importDpopKey } from '../dpop/dpop-key.js'
import { ConfigurationError } from '../errors.js'
import { LruCache } from '../lib/lru.js'
import type { OAuthClient } from '../oauth/client.js'
import type { AuthConfig } from './auth-config.js'
import type { SessionTokens } from './session-store.js'

/** Imported keys kept at most (one per active session using its own key). */
const MAX_IMPORTED_KEYS = 1000

function keyRequired(): ConfigurationError {
  return new ConfigurationError(
    'The session holds DPoP-bound tokens but no DPoP key is known: give the client its "dpop" key, or use dpop: "session"',
    { code: 'ERR_DPOP_KEY_REQUIRED' },
  )
}

export class SessionDpopKeys {
  readonly #config: AuthConfig
  readonly #client: () => Promise<OAuthClient>
  /** By the key's public part: never the private member as a map key. */
  readonly #imported = new LruCache<Promise<DPoPKey>>(MAX_IMPORTED_KEYS)

  constructor(config: AuthConfig, client: () => Promise<OAuthClient>) {
    this.#config = config
    this.#client = client
  }

  /**
   * The key of a new login: a fresh one with its JWK to keep (`'session'`), the client's own
   * (`'client'`, which must have one), or none (the client's own key, if any, still applies).
   */
  async forLogin(client: OAuthClient): Promise<{ key?: DPoPKey; jwk?: JWK }> {
    if (this.#config.dpop === 'client') {
      if ((await client.dpopKey()) === undefined) throw keyRequired()
      return {}
    }
    if (this.#config.dpop !== 'session') return {}
    const key = await createDpopKey({ extractable: true })
    return { key, jwk: await exportDpopKey(key) }
  }

  /** The key a JWK kept in a transaction or session stands for. */
  imported(jwk: JWK): Promise<DPoPKey> {
    const id = [jwk.kty, jwk.crv, jwk.x, jwk.y, jwk.n, jwk.e].join('.')
    let key = this.#imported.get(id)
    if (key === undefined) {
      key = importDpopKey(jwk)
      // A JWK that does not import is not kept: the next use fails the same way, not from cache.
      key.catch(() => this.#imported.delete(id))
      this.#imported.set(id, key)
    }
    return key
  }

  /**
   * The key the session's calls are signed with: its own key, else for DPoP tokens the client's
   * (which must have one: a DPoP token is never sent as Bearer), else none (Bearer tokens).
   */
  async forSession(tokens: SessionTokens): Promise<DPoPKey | undefined> {
    if (tokens.dpopKey !== undefined) return this.imported(tokens.dpopKey)
    if (tokens.tokenType !== 'DPoP') return undefined
    const key = await (await this.#client()).dpopKey()
    if (key === undefined) throw keyRequired()
    return key
  }
}
