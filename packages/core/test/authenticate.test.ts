import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { beforeAll, describe, expect, it } from 'vitest'
import { authenticate, authenticateNow, createTokenVerifier, isPending } from '../src/index.js'

let key: TestKey
beforeAll(async () => {
  key = await makeKey('ES256')
})

function verifier(cache = true) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    ...(cache ? {} : { cache: false as const }),
  })
}

describe('authenticateNow', () => {
  it('throws at once, without a promise, for a missing or malformed header', () => {
    const v = verifier()
    expect(() => authenticateNow(v, undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_BEARER_MISSING' }),
    )
    expect(() => authenticateNow(v, 'Basic abc')).toThrow(
      expect.objectContaining({ code: 'ERR_BEARER_MALFORMED' }),
    )
    expect(() => authenticateNow(v, 'Bearer a b')).toThrow(
      expect.objectContaining({ code: 'ERR_BEARER_MALFORMED' }),
    )
  })

  it('verifies an unseen token through a promise, then answers the same token synchronously', async () => {
    const v = verifier()
    const token = await sign(key, { scope: 'read write' })
    const first = authenticateNow(v, `Bearer ${token}`)
    expect(isPending(first)).toBe(true)
    const verified = await first
    expect(verified).toMatchObject({ token, scopes: ['read', 'write'], claims: { iss: ISSUER } })
    const second = authenticateNow(v, `Bearer ${token}`)
    expect(isPending(second)).toBe(false)
    expect(second).toEqual(verified)
    // Every later hit shares one frozen context: nothing to allocate, nothing a handler can alter.
    const third = authenticateNow(v, `Bearer ${token}`)
    expect(third).toBe(second)
    expect(Object.isFrozen(third)).toBe(true)
  })

  it('stays asynchronous for every request when the cache is off', async () => {
    const v = verifier(false)
    const token = await sign(key)
    for (let i = 0; i < 2; i++) {
      const result = authenticateNow(v, `Bearer ${token}`)
      expect(isPending(result)).toBe(true)
      await expect(result).resolves.toMatchObject({ token })
    }
  })

  it('rejects a bad signature through the promise, and authenticate() turns sync throws into rejections', async () => {
    const v = verifier()
    const token = await sign(key)
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`
    await expect(authenticateNow(v, `Bearer ${tampered}`)).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
    await expect(authenticate(v, null)).rejects.toMatchObject({ code: 'ERR_BEARER_MISSING' })
  })
})
