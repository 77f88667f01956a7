import { dpopKey, proof } from '@org/test-kit/dpop'
import { describe, expect, it } from 'vitest'
import { jwkThumbprint, MemoryOneTimeStore, normaliseHtu, verifyDpopProof } from '../src/index.js'

const TOKEN_URL = 'https://issuer.example.test/token'

describe('verifyDpopProof alone (as a token endpoint checks a proof: no access token yet)', () => {
  it('returns the proof key, its thumbprint and the normalised htu; a second use is refused', async () => {
    const key = await dpopKey('EdDSA')
    const replay = new MemoryOneTimeStore()
    const p = await proof(key, { htm: 'POST', htu: 'https://ISSUER.example.test:443/token' })
    const verified = await verifyDpopProof(p, { method: 'POST', url: TOKEN_URL, replay })
    expect(verified).toMatchObject({ jkt: key.jkt, alg: 'EdDSA', htu: TOKEN_URL })
    expect(await jwkThumbprint(verified.jwk)).toBe(key.jkt)
    expect(Object.keys(verified.jwk).sort()).toEqual(['crv', 'kty', 'x'])
    await expect(verifyDpopProof(p, { method: 'POST', url: TOKEN_URL, replay })).rejects.toMatchObject({
      code: 'ERR_DPOP_PROOF_REPLAYED',
    })
  })

  it('scopes jti by key and URL: another key may use the same jti', async () => {
    const replay = new MemoryOneTimeStore()
    const [a, b] = await Promise.all([dpopKey(), dpopKey()])
    const jti = 'same-jti'
    await verifyDpopProof(await proof(a, { htm: 'POST', htu: TOKEN_URL, claims: { jti } }), {
      method: 'POST',
      url: TOKEN_URL,
      replay,
    })
    await expect(
      verifyDpopProof(await proof(b, { htm: 'POST', htu: TOKEN_URL, claims: { jti } }), {
        method: 'POST',
        url: TOKEN_URL,
        replay,
      }),
    ).resolves.toMatchObject({ jkt: b.jkt })
  })

  it('honours maxAgeSeconds and clockSkewSeconds', async () => {
    const key = await dpopKey()
    const replay = new MemoryOneTimeStore()
    const now = Math.floor(Date.now() / 1000)
    const old = await proof(key, { htm: 'GET', htu: TOKEN_URL, claims: { iat: now - 300 } })
    const check = { method: 'GET', url: TOKEN_URL, replay }
    await expect(verifyDpopProof(old, check)).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID' })
    await expect(verifyDpopProof(old, { ...check, maxAgeSeconds: 600 })).resolves.toMatchObject({
      jkt: key.jkt,
    })
    const ahead = await proof(key, { htm: 'GET', htu: TOKEN_URL, claims: { iat: now + 30 } })
    await expect(verifyDpopProof(ahead, check)).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID' })
    await expect(verifyDpopProof(ahead, { ...check, clockSkewSeconds: 60 })).resolves.toMatchObject({
      jkt: key.jkt,
    })
  })
})

describe('normaliseHtu (RFC 3986 §6.2.2, §6.2.3)', () => {
  it.each([
    ['HTTP://API.Example.TEST:80/a/./b/../c?q=1#f', 'http://api.example.test/a/c'],
    ['https://api.example.test:443', 'https://api.example.test/'],
    ['https://api.example.test:8443/x', 'https://api.example.test:8443/x'],
    ['https://api.example.test/%7euser/%2f/%c3%a9', 'https://api.example.test/~user/%2F/%C3%A9'],
    ['https://user:pass@api.example.test/x', 'https://api.example.test/x'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseHtu(input)).toBe(expected)
  })

  it.each(['ftp://api.example.test/x', '/relative', 'not a url', 'javascript:alert(1)'])(
    '%s → undefined',
    (input) => {
      expect(normaliseHtu(input)).toBeUndefined()
    },
  )
})
