import { type DpopKey, dpopKey, proof } from '@org/test-kit/dpop'
import { sign, type TestKey } from '@org/test-kit/keys'
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  authenticate,
  type BearerVerifier,
  createDpopNonceSource,
  type DpopOptions,
  describeAuthError,
} from '../src/index.js'
import {
  ALGS,
  b64json,
  boundTokenFor,
  DPOP_CHALLENGE,
  dpopFixture,
  refusal,
  request,
  URL_,
  verifierFor,
} from './helpers/dpop.js'

// DPoP modes, server nonces, algorithms and the challenges of other refusals (scope, step-up).

let issuerKey: TestKey
let client: DpopKey
beforeAll(async () => {
  ;({ issuerKey, client } = await dpopFixture())
})
const verifier = (dpop?: DpopOptions) => verifierFor(issuerKey, dpop)
const boundToken = (jkt = client.jkt) => boundTokenFor(issuerKey, jkt)

describe('DPoP modes, nonces and challenges', () => {
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
