import { decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import type { SigningAlgorithm } from '../src/keys/signing-key-source.js'
import { nativeCrypto } from '../src/native-crypto.js'
import { signJwt } from '../src/token-server/sign-jwt.js'

// The token server signs natively where node:crypto is lent, else with jose on Web Crypto: a
// verifier (jose, on Web Crypto) must accept both, for every algorithm, and see the same header.
const ALGORITHMS: SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256']
const native = nativeCrypto()

describe('signJwt', () => {
  it('finds node:crypto lent by this runtime (the fast path is what the tests exercise)', () => {
    expect(native).not.toBeNull()
  })

  it.each(ALGORITHMS)('signs %s tokens a verifier accepts, natively and through jose alike', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const key = { kid: `kid-${alg}`, alg, privateKey }
    const verifyKey = await importJWK(await exportJWK(publicKey), alg)
    const payload = {
      iss: 'https://issuer.test',
      sub: 'c',
      aud: 'https://api.test',
      exp: 4_000_000_000,
      n: 'ü',
    }
    for (const path of [native, null]) {
      const token = await signJwt('at+jwt', payload, key, path)
      const { payload: verified, protectedHeader } = await jwtVerify(token, verifyKey, {
        algorithms: [alg],
        typ: 'at+jwt',
      })
      expect(verified).toEqual(payload)
      expect(protectedHeader).toEqual({ typ: 'at+jwt', alg, kid: `kid-${alg}` })
    }
  })

  it('puts the key’s own alg and kid in the header, the same on both paths and for every token', async () => {
    const { privateKey } = await generateKeyPair('EdDSA')
    const key = { kid: 'k', alg: 'EdDSA' as const, privateKey }
    const tokens = [
      await signJwt('at+jwt', { n: 1 }, key, native),
      await signJwt('at+jwt', { n: 2 }, key, native),
      await signJwt('at+jwt', { n: 1 }, key, null),
    ]
    for (const token of tokens)
      expect(decodeProtectedHeader(token)).toEqual({ typ: 'at+jwt', alg: 'EdDSA', kid: 'k' })
    expect(decodeProtectedHeader(await signJwt('other', {}, key, native))).toMatchObject({ typ: 'other' })
  })
})
