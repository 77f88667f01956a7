/**
 * The verifier's revocation check: after a token passed every other check (or was served from
 * the token cache), ask the application's `isRevoked` about its `jti`. Answers are cached per
 * `jti` so a hot token does not cost one store round trip per request, and concurrent lookups of
 * one `jti` share a single call. A revocation is final, so a "revoked" answer is kept until the
 * token expires; a "not revoked" answer only for `cacheSeconds`, which is how long a revocation
 * may take to be seen.
 */
import { JWTClaimValidationError, JWTVerificationError, RevocationUnavailableError } from '../errors.js'
import { LruCache } from '../lib/lru.js'
import type { JWTClaims } from './claims.js'
import type { RevocationCheckOptions } from './verifier-options.js'

interface Answer {
  revoked: boolean
  /** Epoch milliseconds after which the answer is asked again. */
  until: number
}

export interface RevocationChecker {
  /** Whether a fresh "not revoked" answer is cached for these claims (the synchronous fast path). */
  knownGood(claims: JWTClaims): boolean
  /** Resolves the claims when the token is not revoked; rejects 401 when it is, 503 when unknown. */
  check<C extends JWTClaims>(claims: C): Promise<C>
}

export function createRevocationChecker(
  options: RevocationCheckOptions,
  maxEntries: number,
): RevocationChecker {
  const cacheMs = (options.cacheSeconds ?? 30) * 1000
  const answers = new LruCache<Answer>(maxEntries)
  const inflight = new Map<string, Promise<boolean>>()

  function jtiOf(claims: JWTClaims): string {
    const { jti } = claims
    // Without a `jti` no revocation can name the token: refused rather than waved through.
    if (typeof jti !== 'string' || jti === '') {
      throw new JWTClaimValidationError(
        'ERR_JWT_CLAIM_MISSING',
        'jti',
        'The "jti" claim is required when revocation is checked',
      )
    }
    return jti
  }

  function fresh(jti: string): Answer | undefined {
    const answer = answers.get(jti)
    if (answer === undefined) return undefined
    if (answer.until > Date.now()) return answer
    answers.delete(jti)
    return undefined
  }

  async function ask(claims: JWTClaims): Promise<boolean> {
    let revoked: unknown
    try {
      revoked = await options.isRevoked(claims)
    } catch (cause) {
      throw new RevocationUnavailableError('The revocation check failed', { cause })
    }
    if (typeof revoked !== 'boolean') {
      throw new RevocationUnavailableError('The revocation check answered something other than a boolean')
    }
    return revoked
  }

  function lookup(jti: string, claims: JWTClaims): Promise<boolean> {
    let pending = inflight.get(jti)
    if (pending === undefined) {
      pending = ask(claims).then((revoked) => {
        const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + cacheMs
        const until = revoked ? expiresAt : Math.min(Date.now() + cacheMs, expiresAt)
        if (until > Date.now()) answers.set(jti, { revoked, until })
        return revoked
      })
      inflight.set(jti, pending)
      const settle = () => inflight.delete(jti)
      pending.then(settle, settle)
    }
    return pending
  }

  const refused = () => new JWTVerificationError('ERR_JWT_REVOKED', 'The token has been revoked')

  return {
    knownGood(claims) {
      const jti = claims.jti
      return typeof jti === 'string' && fresh(jti)?.revoked === false
    },
    async check(claims) {
      const jti = jtiOf(claims)
      const answer = fresh(jti)
      const revoked = answer !== undefined ? answer.revoked : await lookup(jti, claims)
      if (revoked) throw refused()
      return claims
    },
  }
}
