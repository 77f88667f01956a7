/**
 * The verifier's `revocation` hook: consulted after every other check and for cached tokens,
 * answers cached per `jti` for `cacheSeconds`, concurrent lookups merged, a failing hook a 503
 * (fail closed), a revoked token a 401, a token without `jti` refused.
 */
import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  authErrorResponse,
  createTokenVerifier,
  type JWTClaims,
  RevocationUnavailableError,
  type TokenVerifierOptions,
} from '../src/index.js'

let key: TestKey
const NOW = 1_900_000_000

beforeAll(async () => {
  key = await makeKey('ES256', 'revocation-1')
})
afterEach(() => {
  vi.useRealTimers()
})

function freeze(seconds = NOW) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(seconds * 1000)
}

/** A verifier whose hook answers from `revoked` and records every call. */
function setup(options: Partial<TokenVerifierOptions> = {}, cacheSeconds?: number) {
  const revoked = new Set<string>()
  const calls: string[] = []
  const verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    revocation: {
      isRevoked: (claims: JWTClaims) => {
        calls.push(claims.jti as string)
        return revoked.has(claims.jti as string)
      },
      ...(cacheSeconds === undefined ? {} : { cacheSeconds }),
    },
    ...options,
  })
  return { verifier, revoked, calls }
}

describe('revocation hook', () => {
  it('refuses a revoked token with a fixed 401 invalid_token', async () => {
    const { verifier, revoked } = setup()
    revoked.add('gone')
    const error = await verifier.verify(await sign(key, { jti: 'gone' })).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_JWT_REVOKED', status: 401, oauthError: 'invalid_token' })
    const response = authErrorResponse(error as RevocationUnavailableError)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('The token has been revoked')
  })

  it('is consulted only for tokens that passed the other checks', async () => {
    const { verifier, calls } = setup()
    const other = await makeKey('ES256', 'revocation-1')
    await expect(verifier.verify(await sign(other, { jti: 'forged' }))).rejects.toMatchObject({ status: 401 })
    await expect(verifier.verify(await sign(key, { jti: 'x', aud: 'elsewhere' }))).rejects.toMatchObject({
      code: 'ERR_JWT_AUDIENCE_INVALID',
    })
    expect(calls).toEqual([])
  })

  it('caches a "not revoked" answer for cacheSeconds, also for token-cache hits', async () => {
    freeze()
    const { verifier, revoked, calls } = setup({}, 30)
    const token = await sign(key, { jti: 'hot', iat: NOW, exp: NOW + 300 })
    await verifier.verify(token)
    await verifier.verify(token)
    expect(calls).toEqual(['hot'])
    expect(verifier.cached(token)).toMatchObject({ jti: 'hot' })
    revoked.add('hot')
    // Within cacheSeconds the revocation is not seen yet: the documented trade-off.
    vi.setSystemTime((NOW + 29) * 1000)
    await expect(verifier.verify(token)).resolves.toMatchObject({ jti: 'hot' })
    vi.setSystemTime((NOW + 31) * 1000)
    // The token cache still holds the token, but its answer is stale: cached() defers to verify().
    expect(verifier.cached(token)).toBeUndefined()
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_REVOKED' })
    expect(calls).toEqual(['hot', 'hot'])
    // A revocation is final: asked no more until the token expires.
    vi.setSystemTime((NOW + 200) * 1000)
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_REVOKED' })
    expect(calls).toHaveLength(2)
  })

  it('asks on every request with cacheSeconds 0, and without the token cache', async () => {
    const { verifier, calls } = setup({ cache: false }, 0)
    const token = await sign(key, { jti: 'each' })
    await verifier.verify(token)
    await verifier.verify(token)
    expect(calls).toEqual(['each', 'each'])
    expect(verifier.cached(token)).toBeUndefined()
  })

  it('merges concurrent lookups of one jti into one call', async () => {
    let release: (value: boolean) => void = () => {}
    const calls: string[] = []
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      revocation: {
        isRevoked: (claims) => {
          calls.push(claims.jti as string)
          return new Promise<boolean>((resolve) => {
            release = resolve
          })
        },
      },
    })
    // Two different tokens with the same jti (re-signed), and the same token twice.
    const [a, b] = [
      await sign(key, { jti: 'shared', sub: 'a' }),
      await sign(key, { jti: 'shared', sub: 'b' }),
    ]
    const pending = [a, a, b, b].map((token) => verifier.verify(token))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    release(false)
    const results = await Promise.all(pending)
    expect(results.map((claims) => claims.sub)).toEqual(['a', 'a', 'b', 'b'])
    expect(calls).toEqual(['shared'])
  })

  it('fails closed with a 503 when the hook throws, rejects or answers a non-boolean', async () => {
    const hooks: Array<() => unknown> = [
      () => {
        throw new Error('connection refused to db.internal:5432')
      },
      () => Promise.reject(new Error('timeout')),
      () => 'no',
      () => undefined,
    ]
    for (const isRevoked of hooks) {
      const verifier = createTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [key.publicJwk] },
        revocation: { isRevoked: isRevoked as () => boolean },
      })
      const token = await sign(key, { jti: 'outage' })
      const error = await verifier.verify(token).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RevocationUnavailableError)
      expect(error).toMatchObject({ code: 'ERR_REVOCATION_UNAVAILABLE', status: 503 })
      const response = authErrorResponse(error as RevocationUnavailableError)
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('5')
      const body = await response.text()
      expect(body).toContain('temporarily_unavailable')
      expect(body).not.toMatch(/db\.internal|timeout/)
      // The failure is not cached as an answer: the token is not served from the cache either.
      expect(verifier.cached(token)).toBeUndefined()
    }
  })

  it('asks again after an outage', async () => {
    let down = true
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [key.publicJwk] },
      revocation: {
        isRevoked: () => {
          if (down) throw new Error('down')
          return false
        },
      },
    })
    const token = await sign(key, { jti: 'recovers' })
    await expect(verifier.verify(token)).rejects.toMatchObject({ status: 503 })
    down = false
    await expect(verifier.verify(token)).resolves.toMatchObject({ jti: 'recovers' })
  })

  it('refuses a token without jti (nothing could revoke it)', async () => {
    const { verifier, calls } = setup()
    for (const jti of [undefined, '', 42]) {
      await expect(
        verifier.verify(await sign(key, { jti } as Record<string, unknown>)),
      ).rejects.toMatchObject({
        code: 'ERR_JWT_CLAIM_MISSING',
        claim: 'jti',
        status: 401,
      })
    }
    expect(calls).toEqual([])
  })

  it('checks its options at creation', () => {
    const base = { issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [key.publicJwk] } }
    for (const revocation of [
      null,
      {},
      { isRevoked: 1 },
      { isRevoked: () => false, cacheSeconds: -1 },
      { isRevoked: () => false, cacheSeconds: 1.5 },
      { isRevoked: () => false, cacheSeconds: 3601 },
    ]) {
      expect(() => createTokenVerifier({ ...base, revocation } as unknown as TokenVerifierOptions)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
  })
})
