import { forge, hmacForge, makeKey, nowSeconds, type TestKey } from '@org/test-kit/keys'
import { beforeAll, describe, expect, it } from 'vitest'
import { createIdTokenValidator, type IdTokenValidator, JWTVerificationError } from '../src/index.js'
import {
  CLIENT_ID,
  type CodeFlowServer,
  REDIRECT_URI,
  sha256LeftHalf,
  signIdToken,
  startCodeFlowServer,
} from './helpers/code-flow-server.js'

// ID tokens signed here with jose against a static JWKS; the last block runs them through a full
// callback against a scripted token endpoint.
const ISSUER = 'https://op.example.test'
const TRUSTED = 'https://trusted-party.example.test'
const WEEK = 7 * 24 * 3600

let key: TestKey
let validator: IdTokenValidator
beforeAll(async () => {
  key = await makeKey('RS256')
  validator = createIdTokenValidator({
    issuer: ISSUER,
    clientId: CLIENT_ID,
    jwks: { keys: [key.publicJwk] },
    trustedAudiences: [TRUSTED],
  })
})

const idToken = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signIdToken(key, ISSUER, claims, header)

async function rejected(token: string | Promise<string>, code: string, expected = {}) {
  const error = await validator.validate(await token, expected).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(JWTVerificationError)
  expect(error).toMatchObject({ code, status: 401 })
  return error as JWTVerificationError & { claim?: string }
}

describe('ID token validation', () => {
  it('accepts a valid token with its nonce, at_hash, c_hash and auth_time', async () => {
    const token = await idToken({
      nonce: 'n-1',
      at_hash: sha256LeftHalf('access-1'),
      c_hash: sha256LeftHalf('code-1'),
      auth_time: nowSeconds() - 30,
    })
    await expect(
      validator.validate(token, { nonce: 'n-1', accessToken: 'access-1', code: 'code-1', maxAge: 60 }),
    ).resolves.toMatchObject({ iss: ISSUER, aud: CLIENT_ID, sub: 'alice', nonce: 'n-1' })
  })

  it('refuses a token signed with another key', async () => {
    const other = await makeKey('RS256', key.kid)
    await rejected(signIdToken(other, ISSUER), 'ERR_JWT_SIGNATURE_INVALID')
    const unknownKid = await makeKey('RS256')
    await rejected(signIdToken(unknownKid, ISSUER), 'ERR_JWKS_NO_MATCHING_KEY')
  })

  it('refuses alg none in any case', async () => {
    const now = nowSeconds()
    const claims = { iss: ISSUER, aud: CLIENT_ID, sub: 'alice', iat: now, exp: now + 300 }
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await rejected(forge({ alg, kid: key.kid }, claims, ''), 'ERR_JWT_MALFORMED')
      await rejected(forge({ alg, kid: key.kid }, claims), 'ERR_JWT_ALG_NOT_ALLOWED')
    }
  })

  it('refuses HS256 signed with the public key bytes', async () => {
    const now = nowSeconds()
    const claims = { iss: ISSUER, aud: CLIENT_ID, sub: 'alice', iat: now, exp: now + 300 }
    await rejected(
      hmacForge({ alg: 'HS256', kid: key.kid }, claims, key.publicPem),
      'ERR_JWT_ALG_NOT_ALLOWED',
    )
    const jwkText = JSON.stringify(key.publicJwk)
    await rejected(hmacForge({ alg: 'HS256', kid: key.kid }, claims, jwkText), 'ERR_JWT_ALG_NOT_ALLOWED')
  })

  it('refuses an expired token, and one issued a week ago', async () => {
    const now = nowSeconds()
    await rejected(idToken({ iat: now - 600, exp: now - 60 }), 'ERR_JWT_EXPIRED')
    await rejected(idToken({ iat: now - WEEK, exp: now + 300 }), 'ERR_JWT_TOO_OLD')
  })

  it('refuses a wrong audience and an extra untrusted one', async () => {
    await rejected(idToken({ aud: 'another-client' }), 'ERR_JWT_AUDIENCE_INVALID')
    const error = await rejected(
      idToken({ aud: [CLIENT_ID, 'https://untrusted.example.test'], azp: CLIENT_ID }),
      'ERR_JWT_AUDIENCE_UNTRUSTED',
    )
    expect(error.claim).toBe('aud')
  })

  it('accepts a trusted extra audience with azp, refuses it without', async () => {
    await expect(
      validator.validate(await idToken({ aud: [CLIENT_ID, TRUSTED], azp: CLIENT_ID })),
    ).resolves.toMatchObject({
      aud: [CLIENT_ID, TRUSTED],
      azp: CLIENT_ID,
    })
    await rejected(idToken({ aud: [CLIENT_ID, TRUSTED] }), 'ERR_JWT_AZP_INVALID')
  })

  it('refuses an azp of another client', async () => {
    await rejected(idToken({ azp: 'another-client' }), 'ERR_JWT_AZP_INVALID')
    await rejected(idToken({ aud: [CLIENT_ID, TRUSTED], azp: TRUSTED }), 'ERR_JWT_AZP_INVALID')
  })

  it('refuses a missing or mismatched nonce', async () => {
    const missing = await rejected(idToken(), 'ERR_JWT_CLAIM_MISSING', { nonce: 'n-1' })
    expect(missing.claim).toBe('nonce')
    await rejected(idToken({ nonce: 'n-2' }), 'ERR_JWT_NONCE_MISMATCH', { nonce: 'n-1' })
    await rejected(idToken({ nonce: 'n-1x' }), 'ERR_JWT_NONCE_MISMATCH', { nonce: 'n-1' })
  })

  it('refuses at_hash and c_hash of other values', async () => {
    await rejected(idToken({ at_hash: sha256LeftHalf('other-access') }), 'ERR_JWT_AT_HASH_MISMATCH', {
      accessToken: 'access-1',
    })
    await rejected(idToken({ c_hash: sha256LeftHalf('other-code') }), 'ERR_JWT_C_HASH_MISMATCH', {
      code: 'code-1',
    })
  })

  it('with max_age: refuses an old auth_time and a missing one', async () => {
    await rejected(idToken({ auth_time: nowSeconds() - 3600 }), 'ERR_JWT_AUTH_TIME_TOO_OLD', { maxAge: 300 })
    const missing = await rejected(idToken(), 'ERR_JWT_CLAIM_MISSING', { maxAge: 300 })
    expect(missing.claim).toBe('auth_time')
  })

  it('refuses an access token (typ at+jwt) as an ID token', async () => {
    await rejected(idToken({}, { typ: 'at+jwt' }), 'ERR_JWT_TYPE_INVALID')
    await rejected(idToken({}, { typ: 'application/at+jwt' }), 'ERR_JWT_TYPE_INVALID')
  })
})

describe('ID tokens in a code exchange', () => {
  const kept = { state: 's-1', nonce: 'n-1', redirectUri: REDIRECT_URI, codeVerifier: 'v-1' }

  /** One callback through a scripted token endpoint answering `answer`; the exchange must be made. */
  async function exchange(answer: (as: CodeFlowServer) => Promise<Record<string, unknown>>) {
    const as = await startCodeFlowServer()
    try {
      as.answer(() => answer(as))
      const callback = as.callback([
        ['code', 'code-1'],
        ['state', kept.state],
        ['iss', as.issuer],
      ])
      const result = await as
        .client()
        .handleCallback(callback, kept)
        .catch((e: unknown) => e)
      expect(as.tokenHits()).toBe(1)
      return result
    } finally {
      await as.close()
    }
  }
  const withIdToken = (sign: (as: CodeFlowServer) => Promise<string>) => (as: CodeFlowServer) =>
    sign(as).then((id_token) => ({ access_token: 'access-1', token_type: 'Bearer', id_token }))

  it('returns the verified claims of a valid ID token', async () => {
    const result = await exchange(
      withIdToken((as) =>
        as.idToken({
          nonce: kept.nonce,
          c_hash: sha256LeftHalf('code-1'),
          at_hash: sha256LeftHalf('access-1'),
        }),
      ),
    )
    expect(result).toMatchObject({ accessToken: 'access-1', claims: { sub: 'alice', nonce: kept.nonce } })
  })

  it('refuses a response without ID token when openid was requested (a nonce was kept)', async () => {
    const result = await exchange(async () => ({ access_token: 'access-1', token_type: 'Bearer' }))
    expect(result).toMatchObject({ code: 'ERR_ID_TOKEN_MISSING', status: 502 })
  })

  it('refuses an ID token signed by a key the server does not publish', async () => {
    const result = await exchange(withIdToken((as) => signIdToken(key, as.issuer, { nonce: kept.nonce })))
    expect(result).toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })

  it('refuses a mismatched nonce, and hashes of another code or access token', async () => {
    const cases = [
      [{ nonce: 'n-other' }, 'ERR_JWT_NONCE_MISMATCH'],
      [{}, 'ERR_JWT_CLAIM_MISSING'],
      [{ nonce: kept.nonce, c_hash: sha256LeftHalf('code-2') }, 'ERR_JWT_C_HASH_MISMATCH'],
      [{ nonce: kept.nonce, at_hash: sha256LeftHalf('access-2') }, 'ERR_JWT_AT_HASH_MISMATCH'],
    ] as const
    for (const [claims, code] of cases) {
      expect(await exchange(withIdToken((as) => as.idToken(claims)))).toMatchObject({ code })
    }
  })
})
