import { type DpopKey, dpopKey, proof } from '@org/test-kit/dpop'
import { AUDIENCE, forge, hmacForge, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  authenticate,
  type BearerRequest,
  type BearerVerifier,
  createDpopNonceSource,
  createTokenVerifier,
  type DpopOptions,
  describeAuthError,
  isAuthError,
} from '../src/index.js'

const URL_ = 'https://api.example.test/orders/1'
const ALGS = 'ES256 ES384 ES512 EdDSA Ed25519 PS256 RS256'
const DPOP_CHALLENGE = (error: string) =>
  new RegExp(`^Bearer, DPoP error="${error}", error_description="[^"]+", algs="${ALGS}"$`)

let issuerKey: TestKey
let client: DpopKey
let other: DpopKey
beforeAll(async () => {
  issuerKey = await makeKey('ES256')
  client = await dpopKey('ES256')
  other = await dpopKey('ES256')
})

function verifier(dpop?: DpopOptions) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [issuerKey.publicJwk] },
    dpop,
  })
}

const boundToken = (jkt = client.jkt) => sign(issuerKey, { cnf: { jkt } })

const b64json = (value: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(value)))

function request(authorization: string, dpop?: string | string[], method = 'GET', url = URL_): BearerRequest {
  return { authorization, dpop, method, url }
}

/** What an adapter would answer: status and headers, never a 500. */
async function refusal(v: BearerVerifier, input: BearerRequest) {
  try {
    await authenticate(v, input)
  } catch (error) {
    if (!isAuthError(error)) throw error
    const parts = describeAuthError(error)
    expect(parts.status).toBeLessThan(500)
    return { code: error.code, ...parts }
  }
  throw new Error('accepted')
}

describe('DPoP-bound tokens through authenticate', () => {
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

  it('answers a request without a token with both challenges, or only DPoP when required', async () => {
    const missing = await refusal(verifier(), request(undefined as unknown as string))
    expect(missing).toMatchObject({ status: 401, code: 'ERR_BEARER_MISSING' })
    expect(missing.headers['www-authenticate']).toBe(`Bearer, DPoP algs="${ALGS}"`)
    const required = await refusal(
      verifier({ mode: 'required', algorithms: ['ES256', 'EdDSA'] }),
      request(undefined as unknown as string),
    )
    expect(required.headers['www-authenticate']).toBe('DPoP algs="ES256 EdDSA"')
    const disabled = await refusal(verifier({ mode: 'disabled' }), request(undefined as unknown as string))
    expect(disabled.headers['www-authenticate']).toBe('Bearer')
  })

  it('in required mode refuses Bearer tokens; in disabled mode the DPoP scheme', async () => {
    const token = await sign(issuerKey)
    const required = await refusal(
      verifier({ mode: 'required', algorithms: ['ES256'] }),
      request(`Bearer ${token}`),
    )
    expect(required).toMatchObject({ status: 401, code: 'ERR_DPOP_REQUIRED' })
    expect(required.headers['www-authenticate']).toMatch(
      /^DPoP error="invalid_token", error_description="[^"]+", algs="ES256"$/,
    )
    const bound = await boundToken()
    const disabled = await refusal(
      verifier({ mode: 'disabled' }),
      request(`DPoP ${bound}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: bound })),
    )
    expect(disabled).toMatchObject({ status: 400, code: 'ERR_BEARER_MALFORMED' })
    expect(disabled.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request"/)
  })

  it('asks for a server nonce (use_dpop_nonce with DPoP-Nonce), refuses a stale one, accepts a current one', async () => {
    let clock = Date.now()
    const nonces = createDpopNonceSource({ lifetimeSeconds: 60, now: () => clock })
    const v = verifier({ nonce: nonces })
    const token = await boundToken()
    const none = await refusal(
      v,
      request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
    )
    expect(none).toMatchObject({
      status: 401,
      code: 'ERR_DPOP_NONCE_REQUIRED',
      body: { error: 'use_dpop_nonce' },
    })
    expect(none.headers['www-authenticate']).toMatch(DPOP_CHALLENGE('use_dpop_nonce'))
    const nonce = none.headers['dpop-nonce'] as string
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{24}$/)
    const good = await proof(client, { htm: 'GET', htu: URL_, accessToken: token, claims: { nonce } })
    await expect(authenticate(v, request(`DPoP ${token}`, good))).resolves.toMatchObject({ token })
    // Two periods later the nonce is stale: refused with a fresh one.
    clock += 121_000
    const stale = await refusal(
      v,
      request(
        `DPoP ${token}`,
        await proof(client, { htm: 'GET', htu: URL_, accessToken: token, claims: { nonce } }),
      ),
    )
    expect(stale).toMatchObject({ status: 401, code: 'ERR_DPOP_NONCE_REQUIRED' })
    expect(stale.headers['dpop-nonce']).not.toBe(nonce)
    const forged = await refusal(
      v,
      request(
        `DPoP ${token}`,
        await proof(client, {
          htm: 'GET',
          htu: URL_,
          accessToken: token,
          claims: { nonce: `${nonce.split('.')[0]}.${'A'.repeat(24)}` },
        }),
      ),
    )
    expect(forged.code).toBe('ERR_DPOP_NONCE_REQUIRED')
  })

  it('accepts EdDSA and RS256 proof keys, refuses an algorithm outside the allow-list', async () => {
    for (const alg of ['EdDSA', 'RS256', 'PS256', 'ES384']) {
      const key = await dpopKey(alg)
      const token = await boundToken(key.jkt)
      const p = await proof(key, { htm: 'GET', htu: URL_, accessToken: token })
      await expect(authenticate(verifier(), request(`DPoP ${token}`, p))).resolves.toMatchObject({
        dpop: { jkt: key.jkt },
      })
      const refused = await refusal(verifier({ algorithms: ['ES256'] }), request(`DPoP ${token}`, p))
      expect(refused.code).toBe('ERR_DPOP_PROOF_INVALID')
    }
  })

  it('refuses a 1024-bit RSA proof key', async () => {
    const pair = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const { exportJWK, calculateJwkThumbprint } = await import('jose')
    const publicJwk = await exportJWK(pair.publicKey)
    const token = await boundToken(await calculateJwkThumbprint(publicJwk, 'sha256'))
    // jose will not sign with such a key: the proof is signed with Web Crypto directly.
    const { ath } = await import('@org/test-kit/dpop')
    const input = `${b64json({ alg: 'RS256', typ: 'dpop+jwt', jwk: publicJwk })}.${b64json({
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(Date.now() / 1000),
      jti: crypto.randomUUID(),
      ath: await ath(token),
    })}`
    const signature = await crypto.subtle.sign(
      'RSASSA-PKCS1-v1_5',
      pair.privateKey,
      new TextEncoder().encode(input),
    )
    const weakProof = `${input}.${base64url.encode(new Uint8Array(signature))}`
    const answer = await refusal(verifier(), request(`DPoP ${token}`, weakProof))
    expect(answer).toMatchObject({ status: 401, code: 'ERR_DPOP_PROOF_INVALID' })
  })

  it('answers 403 insufficient_scope with a DPoP challenge for a DPoP request', async () => {
    const { requireGrantedScopes } = await import('../src/index.js')
    const token = await boundToken()
    const auth = await authenticate(
      verifier(),
      request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
    )
    try {
      requireGrantedScopes(auth, ['admin'])
      expect.unreachable()
    } catch (error) {
      const parts = describeAuthError(error as never)
      expect(parts.status).toBe(403)
      expect(parts.headers['www-authenticate']).toBe(
        'DPoP error="insufficient_scope", error_description="The token lacks a required scope", scope="admin"',
      )
    }
  })

  it('a resource server applies its own dpop option; a custom verifier gets the defaults', async () => {
    const { createResourceServer } = await import('../src/index.js')
    const rs = createResourceServer({
      verifiers: [verifier()],
      dpop: { mode: 'required', algorithms: ['ES256'] },
    })
    const plain = await sign(issuerKey)
    const refused = await refusal(rs, request(`Bearer ${plain}`))
    expect(refused).toMatchObject({ status: 401, code: 'ERR_DPOP_REQUIRED' })
    expect(refused.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token", .*algs="ES256"$/)
    const token = await boundToken()
    await expect(
      authenticate(
        rs,
        request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
      ),
    ).resolves.toMatchObject({ dpop: { jkt: client.jkt } })

    // Any object with verify(): DPoP mode 'allowed' with the default settings, its own replay store.
    const inner = verifier()
    const custom: BearerVerifier = { verify: (t) => inner.verify(t) }
    const p = await proof(client, { htm: 'GET', htu: URL_, accessToken: token })
    await expect(authenticate(custom, request(`DPoP ${token}`, p))).resolves.toMatchObject({ token })
    expect((await refusal(custom, request(`DPoP ${token}`, p))).code).toBe('ERR_DPOP_PROOF_REPLAYED')
    expect((await refusal(custom, request(`Bearer ${token}`))).code).toBe('ERR_DPOP_BOUND_TOKEN_AS_BEARER')
  })

  it('answers a step-up refusal (RFC 9470) of a DPoP-bound token with a DPoP challenge', async () => {
    const { authenticationRequirement, requireAuthentication } = await import('../src/index.js')
    const token = await boundToken()
    const auth = await authenticate(
      verifier(),
      request(`DPoP ${token}`, await proof(client, { htm: 'GET', htu: URL_, accessToken: token })),
    )
    try {
      requireAuthentication(auth.claims, authenticationRequirement({ acrValues: ['mfa'] }))
      expect.unreachable()
    } catch (error) {
      const parts = describeAuthError(error as never, {
        resourceMetadata: 'https://api.example.test/.well-known/x',
      })
      expect(parts.status).toBe(401)
      expect(parts.headers['www-authenticate']).toMatch(
        /^DPoP resource_metadata="https:\/\/api.example.test\/.well-known\/x", error="insufficient_user_authentication", error_description="[^"]+", acr_values="mfa"$/,
      )
    }
  })

  it('refuses misconfigured dpop options at creation', () => {
    expect(() => verifier({ mode: 'on' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
    expect(() => verifier({ algorithms: ['HS256' as never] })).toThrow(/dpop.algorithms/)
    expect(() => verifier({ maxAgeSeconds: 0 })).toThrow(/dpop.maxAgeSeconds/)
    expect(() => verifier({ replay: {} as never })).toThrow(/dpop.replay/)
    expect(() => verifier({ nonse: 1 } as never)).toThrow(/dpop.nonse/)
  })
})
