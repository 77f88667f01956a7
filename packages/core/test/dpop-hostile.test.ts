import { type DpopKey, proof } from '@org/test-kit/dpop'
import { forge, hmacForge, sign, type TestKey } from '@org/test-kit/keys'
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { authenticate, type DpopOptions } from '../src/index.js'
import {
  boundTokenFor,
  DPOP_CHALLENGE,
  dpopFixture,
  refusal,
  request,
  URL_,
  verifierFor,
} from './helpers/dpop.js'

// Hostile DPoP proofs through authenticate (what every adapter calls): each ends in RFC 9449's
// error with the DPoP challenge, never a 500. Modes, nonces and other answers: dpop-modes.test.ts.

let issuerKey: TestKey
let client: DpopKey
let other: DpopKey
beforeAll(async () => {
  ;({ issuerKey, client, other } = await dpopFixture())
})
const verifier = (dpop?: DpopOptions) => verifierFor(issuerKey, dpop)
const boundToken = (jkt = client.jkt) => boundTokenFor(issuerKey, jkt)

describe('DPoP-bound tokens through authenticate: hostile proofs', () => {
  it('accepts a bound token with a valid proof, and checks a fresh proof on every request', async () => {
    const v = verifier()
    const token = await boundToken()
    for (let i = 0; i < 3; i++) {
      const p = await proof(client, { htm: 'GET', htu: URL_, accessToken: token })
      const auth = await authenticate(v, request(`DPoP ${token}`, p))
      expect(auth).toMatchObject({ token, dpop: { jkt: client.jkt }, scopes: ['read', 'write'] })
    }
    // The token's claims are cached now; a request without a proof is still refused.
    const missing = await refusal(v, request(`DPoP ${token}`))
    expect(missing).toMatchObject({ status: 401, code: 'ERR_DPOP_PROOF_INVALID' })
    expect(missing.headers['www-authenticate']).toMatch(DPOP_CHALLENGE('invalid_dpop_proof'))
  })

  it('normalises htu: scheme and host case, default port, percent-encoding case; ignores query', async () => {
    const v = verifier()
    const token = await boundToken()
    const odd = await proof(client, {
      htm: 'GET',
      htu: 'HTTPS://API.example.test:443/orders/%7e1/%2f?x=1#f',
      accessToken: token,
    })
    await expect(
      authenticate(v, request(`DPoP ${token}`, odd, 'GET', 'https://api.example.test/orders/~1/%2F')),
    ).resolves.toMatchObject({ token })
    const plain = await proof(client, {
      htm: 'GET',
      htu: 'https://api.example.test/orders/~1/%2F',
      accessToken: token,
    })
    await expect(
      authenticate(
        v,
        request(`DPoP ${token}`, plain, 'GET', 'https://api.example.test:443/orders/%7E1/%2f?page=2#x'),
      ),
    ).resolves.toMatchObject({ token })
    // An encoded slash is not a slash: a different resource.
    const slash = await proof(client, {
      htm: 'GET',
      htu: 'https://api.example.test/orders/~1//',
      accessToken: token,
    })
    await expect(
      authenticate(v, request(`DPoP ${token}`, slash, 'GET', 'https://api.example.test/orders/~1/%2F')),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID' })
  })

  const hostile: [string, (token: string) => Promise<string | string[] | undefined>, string, string][] = [
    ['a replayed proof', async () => 'REPLAY', 'ERR_DPOP_PROOF_REPLAYED', 'invalid_dpop_proof'],
    [
      'a proof for another method',
      (t) => proof(client, { htm: 'POST', htu: URL_, accessToken: t }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a proof for another URL',
      (t) => proof(client, { htm: 'GET', htu: 'https://api.example.test/orders/2', accessToken: t }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a proof for another host',
      (t) => proof(client, { htm: 'GET', htu: 'https://evil.example.test/orders/1', accessToken: t }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a proof for another token (ath)',
      (t) => proof(client, { htm: 'GET', htu: URL_, accessToken: `${t}x` }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a proof without ath',
      () => proof(client, { htm: 'GET', htu: URL_ }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'an iat too old',
      (t) =>
        proof(client, {
          htm: 'GET',
          htu: URL_,
          accessToken: t,
          claims: { iat: Math.floor(Date.now() / 1000) - 120 },
        }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'an iat in the future',
      (t) =>
        proof(client, {
          htm: 'GET',
          htu: URL_,
          accessToken: t,
          claims: { iat: Math.floor(Date.now() / 1000) + 60 },
        }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'no jti',
      (t) => proof(client, { htm: 'GET', htu: URL_, accessToken: t, claims: { jti: undefined } }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'typ missing',
      (t) => proof(client, { htm: 'GET', htu: URL_, accessToken: t, header: { typ: undefined } }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'typ JWT',
      (t) => proof(client, { htm: 'GET', htu: URL_, accessToken: t, header: { typ: 'JWT' } }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'private key material in jwk',
      async (t) =>
        proof(client, {
          htm: 'GET',
          htu: URL_,
          accessToken: t,
          header: { jwk: { ...client.publicJwk, d: 'AAAA' } },
        }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a symmetric jwk',
      async (t) => hmacProof(t, { kty: 'oct', k: base64url.encode('secretsecretsecretsecretsecret!!') }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'alg none',
      async (t) => forge({ alg: 'none', typ: 'dpop+jwt', jwk: client.publicJwk }, claimsFor(t), ''),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'alg HS256 with the public key',
      async (t) => hmacProof(t, client.publicJwk),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a jwk that did not sign',
      (t) => proof(client, { htm: 'GET', htu: URL_, accessToken: t, header: { jwk: other.publicJwk } }),
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'a proof key that is not cnf.jkt',
      (t) => proof(other, { htm: 'GET', htu: URL_, accessToken: t }),
      'ERR_DPOP_BINDING_MISMATCH',
      'invalid_token',
    ],
    ['a 100 KB proof', async () => 'a'.repeat(100_000), 'ERR_DPOP_PROOF_INVALID', 'invalid_dpop_proof'],
    [
      'two DPoP headers',
      async (t) => [
        await proof(client, { htm: 'GET', htu: URL_, accessToken: t }),
        await proof(client, { htm: 'GET', htu: URL_, accessToken: t }),
      ],
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    [
      'two DPoP headers joined by Fetch',
      async (t) => `${await proof(client, { htm: 'GET', htu: URL_, accessToken: t })}, x.y.z`,
      'ERR_DPOP_PROOF_INVALID',
      'invalid_dpop_proof',
    ],
    ['no DPoP header', async () => undefined, 'ERR_DPOP_PROOF_INVALID', 'invalid_dpop_proof'],
  ]

  function claimsFor(token: string) {
    return { htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), ath: token }
  }
  async function hmacProof(token: string, jwk: object) {
    const { ath } = await import('@org/test-kit/dpop')
    return hmacForge(
      { alg: 'HS256', typ: 'dpop+jwt', jwk },
      { ...claimsFor(token), ath: await ath(token) },
      JSON.stringify(jwk),
    )
  }

  for (const [name, make, code, error] of hostile) {
    it(`refuses ${name}: 401 ${error} with the DPoP challenge`, async () => {
      const v = verifier()
      const token = await boundToken()
      let dpop = await make(token)
      if (dpop === 'REPLAY') {
        dpop = await proof(client, { htm: 'GET', htu: URL_, accessToken: token })
        await authenticate(v, request(`DPoP ${token}`, dpop))
      }
      const answer = await refusal(v, request(`DPoP ${token}`, dpop))
      expect(answer).toMatchObject({ status: 401, code, body: { error } })
      expect(answer.headers['www-authenticate']).toMatch(DPOP_CHALLENGE(error))
    })
  }

  it('refuses a bound token sent as Bearer, cached or not (no downgrade)', async () => {
    const v = verifier()
    const token = await boundToken()
    for (let i = 0; i < 2; i++) {
      const answer = await refusal(v, request(`Bearer ${token}`))
      expect(answer).toMatchObject({
        status: 401,
        code: 'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
        body: { error: 'invalid_token' },
      })
      expect(answer.headers['www-authenticate']).toMatch(
        /^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="/,
      )
      // The token is now in the cache: the next round exercises the cached path.
      await authenticate(
        v,
        request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
      )
    }
    // The header-only form of authenticate refuses it too.
    await expect(authenticate(v, `Bearer ${token}`)).rejects.toMatchObject({
      code: 'ERR_DPOP_BOUND_TOKEN_AS_BEARER',
    })
  })

  it('refuses an unbound token under the DPoP scheme', async () => {
    const v = verifier()
    const token = await sign(issuerKey)
    const answer = await refusal(
      v,
      request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
    )
    expect(answer).toMatchObject({ status: 401, code: 'ERR_DPOP_BINDING_MISMATCH' })
    expect(answer.headers['www-authenticate']).toMatch(DPOP_CHALLENGE('invalid_token'))
  })
})
