import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { challengeErrors, isUseDpopNonce } from '../src/dpop/nonces.js'
import {
  createDpopKey,
  createDpopProof,
  DPOP_ALGORITHMS,
  type DpopAlgorithm,
  DpopNonces,
  exportDpopKey,
  importDpopKey,
} from '../src/index.js'

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0)

async function verifyProof(proof: string) {
  return jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', currentDate: new Date(T0) })
}

describe('createDpopKey', () => {
  it('makes an ES256 key by default: non-extractable private key, public JWK only, RFC 7638 thumbprint', async () => {
    const key = await createDpopKey()
    expect(key.alg).toBe('ES256')
    expect(key.privateKey.type).toBe('private')
    expect(key.privateKey.extractable).toBe(false)
    expect(Object.keys(key.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' })
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'))
    expect(key.thumbprint).toMatch(/^[\w-]{43}$/)
    expect(Object.isFrozen(key) && Object.isFrozen(key.publicJwk)).toBe(true)
    await expect(exportDpopKey(key)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
  })

  it.each(['ES384', 'EdDSA', 'RS256', 'PS256'] as DpopAlgorithm[])(
    'signs verifiable proofs with %s',
    async (alg) => {
      const key = await createDpopKey({ alg })
      const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.test/x', now: T0 })
      const { protectedHeader } = await verifyProof(proof)
      expect(protectedHeader.alg).toBe(alg)
      expect(protectedHeader.jwk).toEqual(key.publicJwk)
      expect(Object.keys(protectedHeader.jwk ?? {})).not.toContain('d')
    },
  )

  it('refuses an algorithm outside the allow-list (HMAC, none)', async () => {
    for (const alg of ['HS256', 'none', 'RSA-OAEP', 42]) {
      await expect(createDpopKey({ alg: alg as DpopAlgorithm })).rejects.toMatchObject({
        code: 'ERR_INVALID_OPTION',
      })
    }
    expect(DPOP_ALGORITHMS).not.toContain('HS256')
  })

  it('exports an extractable key as a private JWK and imports it back, non-extractable, same thumbprint', async () => {
    const key = await createDpopKey({ extractable: true })
    const jwk = await exportDpopKey(key)
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' })
    expect(typeof jwk.d).toBe('string')
    expect(jwk).not.toHaveProperty('ext')
    const again = await importDpopKey(jwk)
    expect(again.thumbprint).toBe(key.thumbprint)
    expect(again.privateKey.extractable).toBe(false)
    const proof = await createDpopProof(again, { method: 'POST', url: 'https://as.test/token', now: T0 })
    expect((await verifyProof(proof)).protectedHeader.jwk).toEqual(key.publicJwk)
  })

  it('refuses to import a public JWK or one without a usable alg', async () => {
    const key = await createDpopKey({ extractable: true })
    const { d: _d, ...publicOnly } = await exportDpopKey(key)
    await expect(importDpopKey(publicOnly)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    const { alg: _alg, ...noAlg } = await exportDpopKey(key)
    await expect(importDpopKey(noAlg)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' })
    await expect(importDpopKey({ kty: 'oct', k: 'c2VjcmV0', d: 'x' }, 'ES256')).rejects.toThrow()
  })
})

describe('createDpopProof', () => {
  it('carries every RFC 9449 §4.2 claim, htu without query and fragment', async () => {
    const key = await createDpopKey()
    const proof = await createDpopProof(key, {
      method: 'POST',
      url: 'https://as.example.test:8443/oauth/token?x=1#frag',
      now: T0 + 999,
    })
    const header = decodeProtectedHeader(proof)
    expect(header).toEqual({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.publicJwk } })
    const { payload } = await verifyProof(proof)
    expect(Object.keys(payload).sort()).toEqual(['htm', 'htu', 'iat', 'jti'])
    expect(payload).toMatchObject({
      htm: 'POST',
      htu: 'https://as.example.test:8443/oauth/token',
      iat: T0 / 1000,
    })
    expect(payload.jti).toMatch(/^[\w-]{22}$/)
  })

  it('makes a new jti for every proof', async () => {
    const key = await createDpopKey()
    const jtis = new Set<unknown>()
    for (let i = 0; i < 20; i++) {
      const proof = await createDpopProof(key, { method: 'GET', url: 'https://api.test/', now: T0 })
      jtis.add((await verifyProof(proof)).payload.jti)
    }
    expect(jtis.size).toBe(20)
  })

  it('adds ath (SHA-256 of the token, base64url) and the nonce when given', async () => {
    const key = await createDpopKey()
    const accessToken = 'eyJhbGciOiJFUzI1NiJ9.e30.sig-ä'
    const proof = await createDpopProof(key, {
      method: 'PATCH',
      url: 'https://api.test/items/1',
      accessToken,
      nonce: 'n-123',
      now: T0,
    })
    const { payload } = await verifyProof(proof)
    expect(payload.ath).toBe(createHash('sha256').update(accessToken).digest('base64url'))
    expect(payload.nonce).toBe('n-123')
    expect(payload.htm).toBe('PATCH')
  })

  it('refuses a relative URL or a missing method (caller misuse, before signing)', async () => {
    const key = await createDpopKey()
    await expect(createDpopProof(key, { method: 'GET', url: '/relative' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    await expect(createDpopProof(key, { method: '', url: 'https://a.test/' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
    await expect(createDpopProof(key, { method: 'GET x', url: 'https://a.test/' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
})

describe('DpopNonces', () => {
  const headers = (nonce?: string) => new Headers(nonce === undefined ? {} : { 'DPoP-Nonce': nonce })

  it('keeps the latest nonce per origin, whatever the path', () => {
    const nonces = new DpopNonces()
    expect(nonces.remember('https://as.test/token', headers('one'))).toBe('one')
    expect(nonces.get('https://as.test/userinfo?x=1')).toBe('one')
    nonces.remember('https://as.test/other', headers('two'))
    expect(nonces.get('https://as.test/token')).toBe('two')
    expect(nonces.get('https://as.test:444/token')).toBeUndefined()
    expect(nonces.get('http://as.test/token')).toBeUndefined()
  })

  it('is bounded: beyond maxEntries the least recently used origin is forgotten', () => {
    const nonces = new DpopNonces(2)
    nonces.remember('https://a.test/', headers('a'))
    nonces.remember('https://b.test/', headers('b'))
    expect(nonces.get('https://a.test/')).toBe('a') // a is now the most recently used
    nonces.remember('https://c.test/', headers('c'))
    expect(nonces.size).toBe(2)
    expect(nonces.get('https://b.test/')).toBeUndefined()
    expect(nonces.get('https://a.test/')).toBe('a')
    expect(nonces.get('https://c.test/')).toBe('c')
  })

  it('ignores a missing, empty, oversized or non-NQCHAR nonce and keeps the previous one', () => {
    const nonces = new DpopNonces()
    nonces.remember('https://a.test/', headers('good'))
    for (const bad of [undefined, '', 'has space', 'quote"d', 'back\\slash', 'x'.repeat(513)]) {
      expect(nonces.remember('https://a.test/', headers(bad))).toBeUndefined()
    }
    expect(nonces.get('https://a.test/')).toBe('good')
  })
})

describe('challenges', () => {
  it('reads the error of each scheme', () => {
    const errors = challengeErrors(
      'Bearer realm="api", error="invalid_token", DPoP algs="ES256 PS256", error="use_dpop_nonce"',
    )
    expect(errors.get('bearer')).toBe('invalid_token')
    expect(errors.get('dpop')).toBe('use_dpop_nonce')
    expect(challengeErrors('DPoP realm="error=\\"use_dpop_nonce\\""').get('dpop')).toBeUndefined()
    expect(challengeErrors(null).size).toBe(0)
  })

  it('recognises use_dpop_nonce: 401 by DPoP challenge (resource server), 400 by body (token endpoint)', () => {
    const challenge = new Headers({ 'www-authenticate': 'DPoP error="use_dpop_nonce"' })
    expect(isUseDpopNonce(401, challenge)).toBe(true)
    expect(isUseDpopNonce(401, new Headers({ 'www-authenticate': 'Bearer error="use_dpop_nonce"' }))).toBe(
      false,
    )
    expect(isUseDpopNonce(400, new Headers(), { error: 'use_dpop_nonce' })).toBe(true)
    expect(isUseDpopNonce(400, new Headers(), { error: 'invalid_dpop_proof' })).toBe(false)
    expect(isUseDpopNonce(500, challenge, { error: 'use_dpop_nonce' })).toBe(false)
  })
})
