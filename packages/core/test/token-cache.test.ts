import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTokenVerifier, type TokenVerifierOptions } from '../src/index.js'
import { spyOnSignatureChecks } from './helpers/signature-spy.js'

const NOW = 1_900_000_000

let key: TestKey

function verifier(options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    ...options,
  })
}

function freeze(seconds = NOW) {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(seconds * 1000)
}

beforeAll(async () => {
  key = await makeKey('ES256', 'cache-1')
})
afterEach(() => {
  vi.useRealTimers()
})

describe('cache hits', () => {
  it('returns the identical claims object on the second verify, and from cached()', async () => {
    const v = verifier()
    const token = await sign(key, { sub: 'cached-user' })
    expect(v.cached(token)).toBeUndefined()
    const first = await v.verify(token)
    expect(first).toMatchObject({ sub: 'cached-user', iss: ISSUER })
    const second = await v.verify(token)
    expect(second).toBe(first)
    expect(v.cached(token)).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })
  it('keys the cache by the exact token string', async () => {
    const v = verifier()
    const a = await sign(key, { sub: 'a' })
    const b = await sign(key, { sub: 'b' })
    const claimsA = await v.verify(a)
    expect(v.cached(b)).toBeUndefined()
    const claimsB = await v.verify(b)
    expect(claimsB).not.toBe(claimsA)
    expect(v.cached(a)).toMatchObject({ sub: 'a' })
    expect(v.cached(b)).toMatchObject({ sub: 'b' })
  })
  it('with cache: false, cached() is always undefined and every verify re-verifies', async () => {
    const v = verifier({ cache: false })
    const token = await sign(key)
    expect(v.cached(token)).toBeUndefined()
    const first = await v.verify(token)
    expect(v.cached(token)).toBeUndefined()
    const second = await v.verify(token)
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
    expect(v.cached(token)).toBeUndefined()
  })
})

describe('cache key', () => {
  it("a forged token sharing a cached token's signature is never served from the cache", async () => {
    const v = verifier()
    const token = await sign(key, { sub: 'alice' })
    await v.verify(token)
    const [header, , signature] = token.split('.')
    const payload = Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'admin', exp: 4_000_000_000 }),
    ).toString('base64url')
    const forged = `${header}.${payload}.${signature}`
    expect(v.cached(forged)).toBeUndefined()
    await expect(v.verify(forged)).rejects.toMatchObject({ code: 'ERR_JWT_SIGNATURE_INVALID' })
    expect(v.cached(token)).toMatchObject({ sub: 'alice' })
  })

  it('a malformed header around a cached token is still refused (authenticate)', async () => {
    const { authenticate } = await import('../src/index.js')
    const v = verifier()
    const token = await sign(key)
    await expect(authenticate(v, `Bearer ${token}`)).resolves.toMatchObject({ token })
    for (const header of [`Bearer ${token} ${token}`, `Bearer ${token},x`, `Bearer  ${token}`]) {
      await expect(authenticate(v, header)).rejects.toMatchObject({
        code: 'ERR_BEARER_MALFORMED',
        status: 400,
      })
    }
  })
})

describe('expiry', () => {
  it('stops serving an entry once exp passes; verify then rejects the token (leeway 0)', async () => {
    freeze()
    const v = verifier({ leeway: 0 })
    const token = await sign(key, { iat: NOW - 10, exp: NOW + 60 })
    const claims = await v.verify(token)
    expect(v.cached(token)).toBe(claims)

    vi.setSystemTime((NOW + 59) * 1000)
    expect(v.cached(token)).toBe(claims)
    await expect(v.verify(token)).resolves.toBe(claims)

    vi.setSystemTime((NOW + 60) * 1000)
    expect(v.cached(token)).toBeUndefined()
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED', status: 401 })
    expect(v.cached(token)).toBeUndefined()

    vi.setSystemTime((NOW + 3600) * 1000)
    expect(v.cached(token)).toBeUndefined()
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })
  it('after exp, within leeway, re-verifies instead of serving the cached entry', async () => {
    freeze()
    const v = verifier({ leeway: 5 })
    const token = await sign(key, { iat: NOW - 10, exp: NOW + 60 })
    const claims = await v.verify(token)
    vi.setSystemTime((NOW + 62) * 1000)
    expect(v.cached(token)).toBeUndefined()
    const again = await v.verify(token)
    expect(again).not.toBe(claims)
    expect(again).toEqual(claims)
    // Still past exp: the fresh result is not served from the cache either.
    expect(v.cached(token)).toBeUndefined()
    vi.setSystemTime((NOW + 65) * 1000)
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })
  it('does not serve an entry once the token is older than maxTokenAge', async () => {
    freeze()
    const v = verifier({ leeway: 0, maxTokenAge: 60 })
    const token = await sign(key, { iat: NOW, exp: NOW + 3600 })
    const claims = await v.verify(token)
    expect(v.cached(token)).toBe(claims)
    vi.setSystemTime((NOW + 61) * 1000)
    // The same token, never seen before by a fresh verifier with the same options, is refused...
    await expect(verifier({ leeway: 0, maxTokenAge: 60 }).verify(token)).rejects.toMatchObject({
      code: 'ERR_JWT_TOO_OLD',
    })
    // ...so the verifier that cached it must refuse it too.
    expect(v.cached(token)).toBeUndefined()
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_TOO_OLD' })
  })
})

describe('LRU eviction', () => {
  it('maxEntries: 2 evicts the least recently used entry', async () => {
    const v = verifier({ cache: { maxEntries: 2 } })
    const t1 = await sign(key, { sub: 't1' })
    const t2 = await sign(key, { sub: 't2' })
    const t3 = await sign(key, { sub: 't3' })
    const c1 = await v.verify(t1)
    const c2 = await v.verify(t2)
    expect(v.cached(t1)).toBe(c1) // reading t1 makes t2 the least recently used
    const c3 = await v.verify(t3)
    expect(v.cached(t2)).toBeUndefined()
    expect(v.cached(t1)).toBe(c1)
    expect(v.cached(t3)).toBe(c3)
    // t2 is verified afresh (a new object), and now evicts t1, the least recently read.
    const c2again = await v.verify(t2)
    expect(c2again).not.toBe(c2)
    expect(c2again).toEqual(c2)
    expect(v.cached(t1)).toBeUndefined()
    expect(v.cached(t3)).toBe(c3)
    expect(v.cached(t2)).toBe(c2again)
  })
  it('a verify() hit also refreshes recency', async () => {
    const v = verifier({ cache: { maxEntries: 2 } })
    const t1 = await sign(key, { sub: 't1' })
    const t2 = await sign(key, { sub: 't2' })
    const t3 = await sign(key, { sub: 't3' })
    const c1 = await v.verify(t1)
    await v.verify(t2)
    await expect(v.verify(t1)).resolves.toBe(c1)
    await v.verify(t3)
    expect(v.cached(t2)).toBeUndefined()
    expect(v.cached(t1)).toBe(c1)
  })
  it('maxEntries: 1 keeps only the latest token', async () => {
    const v = verifier({ cache: { maxEntries: 1 } })
    const t1 = await sign(key, { sub: 't1' })
    const t2 = await sign(key, { sub: 't2' })
    await v.verify(t1)
    const c2 = await v.verify(t2)
    expect(v.cached(t1)).toBeUndefined()
    expect(v.cached(t2)).toBe(c2)
  })
  it('refuses maxEntries that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => verifier({ cache: { maxEntries } })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    }
  })
})

describe('what is never cached', () => {
  it('a token with a bad signature fails every time with the same code', async () => {
    const v = verifier()
    const impostor = await makeKey('ES256', 'cache-1') // same kid, different key
    const token = await sign(impostor)
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_SIGNATURE_INVALID', status: 401 })
    expect(v.cached(token)).toBeUndefined()
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_SIGNATURE_INVALID', status: 401 })
    expect(v.cached(token)).toBeUndefined()
  })
  it('a token refused for its claims fails every time', async () => {
    const v = verifier()
    const token = await sign(key, { aud: 'https://other.example' })
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_AUDIENCE_INVALID' })
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_AUDIENCE_INVALID' })
    expect(v.cached(token)).toBeUndefined()
  })
  it('a token without exp (requiredClaims: []) is verified but not cached', async () => {
    const v = verifier({ requiredClaims: [] })
    const token = await sign(key, { exp: undefined, sub: 'no-exp' })
    const first = await v.verify(token)
    expect(first).toMatchObject({ sub: 'no-exp' })
    expect(first.exp).toBeUndefined()
    expect(v.cached(token)).toBeUndefined()
    const second = await v.verify(token)
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
    expect(v.cached(token)).toBeUndefined()
  })
})

describe('concurrent first verifications', () => {
  it('check the signature once for a burst of requests carrying the same new token', async () => {
    const v = verifier()
    const token = await sign(key, { sub: 'burst' })
    const checks = spyOnSignatureChecks()
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => v.verify(token)))
      expect(new Set(results).size).toBe(1)
      expect(results[0]).toMatchObject({ sub: 'burst' })
      expect(checks.count()).toBe(1)
    } finally {
      checks.restore()
    }
  })

  it('share a refusal too, and a later attempt verifies afresh', async () => {
    const v = verifier()
    const token = await sign(key, { sub: 'bad' })
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
    const checks = spyOnSignatureChecks()
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => v.verify(tampered)))
      expect(results.every((r) => r.status === 'rejected')).toBe(true)
      expect(checks.count()).toBe(1)
      await expect(v.verify(tampered)).rejects.toMatchObject({ code: 'ERR_JWT_SIGNATURE_INVALID' })
      expect(checks.count()).toBe(2)
    } finally {
      checks.restore()
    }
  })

  it('are not coalesced with the cache off: every request verifies', async () => {
    const v = verifier({ cache: false })
    const token = await sign(key)
    const checks = spyOnSignatureChecks()
    try {
      await Promise.all(Array.from({ length: 3 }, () => v.verify(token)))
      expect(checks.count()).toBe(3)
    } finally {
      checks.restore()
    }
  })
})
