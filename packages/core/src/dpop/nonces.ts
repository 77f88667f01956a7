/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9): the latest `DPoP-Nonce` seen from each origin, in
 * a bounded map, so the next proof to that origin carries it without a failed round trip first.
 */
import { LruCache } from '../lib/lru.js'

// A nonce is an opaque token (RFC 9449 §8.1: NQCHAR); anything else is not stored.
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]{1,512}$/

/** The latest nonce per origin; the least recently used origin is forgotten beyond `maxEntries`. */
export class DpopNonces {
  readonly #nonces: LruCache<string>

  /** @param maxEntries Origins remembered at most. Default: 100. */
  constructor(maxEntries = 100) {
    this.#nonces = new LruCache(maxEntries)
  }

  get size(): number {
    return this.#nonces.size
  }

  /** The latest nonce from the origin of `url`, if any. */
  get(url: string | URL): string | undefined {
    return this.#nonces.get(new URL(String(url)).origin)
  }

  /**
   * Remembers the `DPoP-Nonce` header of a response from `url`, when it has a well-formed one;
   * returns it (or `undefined`).
   */
  remember(url: string | URL, headers: { get(name: string): string | null }): string | undefined {
    const nonce = headers.get('dpop-nonce')?.trim()
    if (nonce === undefined || !NONCE.test(nonce)) return undefined
    this.#nonces.set(new URL(String(url)).origin, nonce)
    return nonce
  }
}

/**
 * The `error` of each challenge of a `WWW-Authenticate` value (RFC 7235), by lower-cased scheme.
 * Auth-params are read as `name=value` pairs; a bare token starts the next challenge's scheme.
 */
export function challengeErrors(header: string | null): Map<string, string> {
  const errors = new Map<string, string>()
  if (header === null) return errors
  const parts = /([!#$%&'*+.^_`|~\w-]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*))?/g
  let scheme = ''
  for (const [, name = '', value] of header.matchAll(parts)) {
    if (value === undefined) {
      // token68 values (`Basic abc==`) end in '=' and parse as a param: harmless, they carry no error.
      scheme = name.toLowerCase()
    } else if (name.toLowerCase() === 'error' && !errors.has(scheme)) {
      errors.set(scheme, value.replace(/^"|"$/g, ''))
    }
  }
  return errors
}

/** Whether a response asks for a (new) DPoP nonce: RFC 9449 §8 (authorization server), §9 (resource server). */
export function isUseDpopNonce(
  status: number,
  headers: { get(name: string): string | null },
  body?: unknown,
) {
  if (status === 401) return challengeErrors(headers.get('www-authenticate')).get('dpop') === 'use_dpop_nonce'
  return (
    status === 400 &&
    typeof body === 'object' &&
    body !== null &&
    (body as Record<string, unknown>)['error'] === 'use_dpop_nonce'
  )
}
