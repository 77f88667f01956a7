import type { KeyEntry } from './key-entry.js'

/** Where a verifier gets its candidate keys: a static set, a remote JWKS, or discovery. */
export interface KeyLookup {
  /** Keys that may have signed a token with this `kid` (any key when the token names none). */
  lookup(kid: string | undefined): Promise<readonly KeyEntry[]> | readonly KeyEntry[]
  /** Resolves once keys are loaded (or imported); rejects with the error requests would see. */
  ready(): Promise<void>
  /**
   * Every key held now (empty before the first load), synchronously. The array is replaced, never
   * mutated, when the set changes, and a key that stays in the set keeps its entry: a verified-token
   * cache compares identities to drop tokens whose key has left.
   */
  current(): readonly KeyEntry[]
}

/**
 * Keys matching a token's `kid`. A token without `kid` may match any key (the verifier then
 * filters by algorithm). `kidlessMatchesAny` lets a single configured key without `kid` match
 * tokens that carry one; in a JWKS, a named token only matches the key of that name.
 */
export function matchKeys(
  entries: readonly KeyEntry[],
  kid: string | undefined,
  kidlessMatchesAny: boolean,
): readonly KeyEntry[] {
  if (kid === undefined) return entries
  if (entries.length === 1) {
    const only = entries[0] as KeyEntry
    return only.kid === kid || (kidlessMatchesAny && only.kid === undefined) ? entries : []
  }
  return entries.filter((entry) => entry.kid === kid || (kidlessMatchesAny && entry.kid === undefined))
}

/** A fixed set of keys: a PEM key, a JWK or a JWKS object. */
export function staticKeys(entries: readonly KeyEntry[], kidlessMatchesAny: boolean): KeyLookup {
  return {
    lookup: (kid) => matchKeys(entries, kid, kidlessMatchesAny),
    current: () => entries,
    async ready() {
      // Import every (key, algorithm) pair once so a key Web Crypto rejects fails here, not per request.
      await Promise.all(entries.flatMap((entry) => [...entry.algorithms].map((alg) => entry.cryptoKey(alg))))
    },
  }
}
