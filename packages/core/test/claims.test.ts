import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTokenVerifier, type TokenVerifierOptions } from '../src/index.js'

let key: TestKey
const NOW = 1_900_000_000

function verifier(options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    cache: false,
    ...options,
  })
}

function claimError(code: string, claim: string) {
  return expect.objectContaining({ code, claim, status: 401 })
}

beforeAll(async () => {
  key = await makeKey('ES256', 'ec-1')
})
afterEach(() => {
  vi.useRealTimers()
})

function freeze() {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW * 1000)
}

describe('exp', () => {
  it('treats exp == now as expired when there is no leeway', async () => {
    freeze()
    const token = await sign(key, { iat: NOW - 10, exp: NOW })
    await expect(verifier({ leeway: 0 }).verify(token)).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
      name: 'JWTExpiredError',
    })
  })
  it('accepts exp one second ahead', async () => {
    freeze()
    const token = await sign(key, { iat: NOW - 10, exp: NOW + 1 })
    await expect(verifier({ leeway: 0 }).verify(token)).resolves.toMatchObject({ exp: NOW + 1 })
  })
  it('adds the leeway after exp, not before', async () => {
    freeze()
    const token = await sign(key, { iat: NOW - 100, exp: NOW - 5 })
    await expect(verifier({ leeway: 6 }).verify(token)).resolves.toMatchObject({ exp: NOW - 5 })
    await expect(verifier({ leeway: 5 }).verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' })
  })
  it('requires exp by default', async () => {
    freeze()
    const token = await sign(key, { exp: undefined })
    await expect(verifier().verify(token)).rejects.toEqual(claimError('ERR_JWT_CLAIM_MISSING', 'exp'))
  })
  it('accepts a token without exp when exp is not required, and rejects a non-numeric exp', async () => {
    freeze()
    await expect(
      verifier({ requiredClaims: [] }).verify(await sign(key, { exp: undefined })),
    ).resolves.toMatchObject({ sub: 'alice' })
    await expect(
      verifier().verify(await sign(key, { exp: '2100-01-01' as unknown as number })),
    ).rejects.toEqual(claimError('ERR_JWT_CLAIM_INVALID', 'exp'))
  })
})

describe('nbf and iat', () => {
  it('accepts nbf == now and nbf within leeway, refuses beyond', async () => {
    freeze()
    await expect(
      verifier({ leeway: 0 }).verify(await sign(key, { nbf: NOW, iat: NOW })),
    ).resolves.toBeTruthy()
    await expect(
      verifier({ leeway: 5 }).verify(await sign(key, { nbf: NOW + 5, iat: NOW })),
    ).resolves.toBeTruthy()
    await expect(verifier({ leeway: 5 }).verify(await sign(key, { nbf: NOW + 6, iat: NOW }))).rejects.toEqual(
      claimError('ERR_JWT_NOT_YET_VALID', 'nbf'),
    )
  })
  it('refuses iat in the future beyond leeway', async () => {
    freeze()
    await expect(
      verifier({ leeway: 5 }).verify(await sign(key, { iat: NOW + 5, exp: NOW + 60 })),
    ).resolves.toBeTruthy()
    await expect(
      verifier({ leeway: 5 }).verify(await sign(key, { iat: NOW + 6, exp: NOW + 60 })),
    ).rejects.toEqual(claimError('ERR_JWT_ISSUED_IN_FUTURE', 'iat'))
  })
  it('applies maxTokenAge from iat, and then requires iat', async () => {
    freeze()
    const strict = verifier({ maxTokenAge: 3600, leeway: 0 })
    await expect(strict.verify(await sign(key, { iat: NOW - 3600, exp: NOW + 60 }))).resolves.toBeTruthy()
    await expect(strict.verify(await sign(key, { iat: NOW - 7 * 86400, exp: NOW + 60 }))).rejects.toEqual(
      claimError('ERR_JWT_TOO_OLD', 'iat'),
    )
    await expect(strict.verify(await sign(key, { iat: undefined, exp: NOW + 60 }))).rejects.toEqual(
      claimError('ERR_JWT_CLAIM_MISSING', 'iat'),
    )
  })
})

describe('iss', () => {
  it('compares the issuer exactly', async () => {
    const v = verifier()
    await expect(v.verify(await sign(key, { iss: `${ISSUER}/` }))).rejects.toEqual(
      claimError('ERR_JWT_ISSUER_INVALID', 'iss'),
    )
    await expect(v.verify(await sign(key, { iss: ISSUER.toUpperCase() }))).rejects.toEqual(
      claimError('ERR_JWT_ISSUER_INVALID', 'iss'),
    )
    await expect(v.verify(await sign(key, { iss: [ISSUER] as unknown as string }))).rejects.toEqual(
      claimError('ERR_JWT_ISSUER_INVALID', 'iss'),
    )
    await expect(v.verify(await sign(key, { iss: undefined }))).rejects.toEqual(
      claimError('ERR_JWT_ISSUER_INVALID', 'iss'),
    )
  })
  it('a configured issuer with a trailing slash needs tokens with one', async () => {
    const v = verifier({ issuer: `${ISSUER}/` })
    await expect(v.verify(await sign(key, { iss: `${ISSUER}/` }))).resolves.toMatchObject({
      iss: `${ISSUER}/`,
    })
    await expect(v.verify(await sign(key))).rejects.toEqual(claimError('ERR_JWT_ISSUER_INVALID', 'iss'))
  })
})

describe('aud', () => {
  it('refuses a missing or other audience', async () => {
    const v = verifier()
    await expect(v.verify(await sign(key, { aud: undefined }))).rejects.toEqual(
      claimError('ERR_JWT_AUDIENCE_INVALID', 'aud'),
    )
    await expect(v.verify(await sign(key, { aud: 'https://other.example' }))).rejects.toEqual(
      claimError('ERR_JWT_AUDIENCE_INVALID', 'aud'),
    )
    await expect(v.verify(await sign(key, { aud: ['https://other.example', 'x'] }))).rejects.toEqual(
      claimError('ERR_JWT_AUDIENCE_INVALID', 'aud'),
    )
  })
  it('accepts an array containing ours, and any of several configured audiences', async () => {
    await expect(
      verifier().verify(await sign(key, { aud: ['https://other.example', AUDIENCE] })),
    ).resolves.toBeTruthy()
    const multi = verifier({ audience: ['https://a.example', 'https://b.example'] })
    await expect(multi.verify(await sign(key, { aud: 'https://b.example' }))).resolves.toBeTruthy()
  })
})

describe('token type', () => {
  it('access requires typ at+jwt (RFC 9068), in either spelling and any case', async () => {
    const v = verifier({ tokenType: 'access' })
    await expect(v.verify(await sign(key, {}, { typ: 'at+jwt' }))).resolves.toBeTruthy()
    await expect(v.verify(await sign(key, {}, { typ: 'application/AT+JWT' }))).resolves.toBeTruthy()
  })
  it('access refuses an ID token (typ JWT, or none)', async () => {
    const v = verifier({ tokenType: 'access' })
    const idToken = await sign(key, { nonce: 'n', auth_time: 1 }, { typ: 'JWT' })
    await expect(v.verify(idToken)).rejects.toEqual(claimError('ERR_JWT_TYPE_INVALID', 'typ'))
    await expect(v.verify(await sign(key, {}, { typ: undefined }))).rejects.toEqual(
      claimError('ERR_JWT_TYPE_INVALID', 'typ'),
    )
  })
  it('defaults to access: an untyped token, such as an ID token, is refused (security review #5)', async () => {
    const v = verifier()
    await expect(v.verify(await sign(key, {}, { typ: 'at+jwt' }))).resolves.toBeTruthy()
    await expect(v.verify(await sign(key, { nonce: 'n' }, { typ: 'JWT' }))).rejects.toEqual(
      claimError('ERR_JWT_TYPE_INVALID', 'typ'),
    )
    await expect(v.verify(await sign(key, {}, { typ: undefined }))).rejects.toEqual(
      claimError('ERR_JWT_TYPE_INVALID', 'typ'),
    )
  })
  it('untyped-access takes untyped tokens without ID-token claims, and refuses the rest', async () => {
    const v = verifier({ tokenType: 'untyped-access' })
    for (const typ of [undefined, 'JWT', 'application/jwt', 'at+jwt']) {
      await expect(v.verify(await sign(key, { scope: 'read' }, { typ }))).resolves.toMatchObject({
        scope: 'read',
      })
    }
    for (const claims of [
      { nonce: 'n' },
      { at_hash: 'x' },
      { c_hash: 'x' },
      { s_hash: 'x' },
      { typ: 'ID' },
    ]) {
      await expect(v.verify(await sign(key, claims, { typ: 'JWT' }))).rejects.toEqual(
        claimError('ERR_JWT_TYPE_INVALID', 'typ'),
      )
    }
    for (const typ of ['id_token+jwt', 'dpop+jwt', 'logout+jwt', 'secevent+jwt']) {
      await expect(v.verify(await sign(key, {}, { typ }))).rejects.toEqual(
        claimError('ERR_JWT_TYPE_INVALID', 'typ'),
      )
    }
  })
  it('any is the explicit opt-out: no type check', async () => {
    const v = verifier({ tokenType: 'any' })
    await expect(v.verify(await sign(key, { nonce: 'n' }, { typ: 'JWT' }))).resolves.toBeTruthy()
  })
  it('id refuses access tokens and requires sub and iat', async () => {
    const v = verifier({ tokenType: 'id' })
    await expect(v.verify(await sign(key, {}, { typ: 'at+jwt' }))).rejects.toEqual(
      claimError('ERR_JWT_TYPE_INVALID', 'typ'),
    )
    await expect(v.verify(await sign(key, { sub: undefined }, { typ: 'JWT' }))).rejects.toEqual(
      claimError('ERR_JWT_CLAIM_MISSING', 'sub'),
    )
    await expect(v.verify(await sign(key, {}, { typ: 'JWT' }))).resolves.toMatchObject({ sub: 'alice' })
  })
  it('enforces requiredClaims', async () => {
    const v = verifier({ requiredClaims: ['exp', 'jti'] })
    await expect(v.verify(await sign(key))).rejects.toEqual(claimError('ERR_JWT_CLAIM_MISSING', 'jti'))
    await expect(v.verify(await sign(key, { jti: 'id-1' }))).resolves.toMatchObject({ jti: 'id-1' })
  })
})

describe('algorithms', () => {
  it('only accepts algorithms in the allow-list', async () => {
    const rsa = await makeKey('RS256', 'rsa-2')
    const v = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [rsa.publicJwk, key.publicJwk] },
      algorithms: ['ES256'],
    })
    await expect(v.verify(await sign(key))).resolves.toBeTruthy()
    await expect(v.verify(await sign(rsa))).rejects.toMatchObject({ code: 'ERR_JWT_ALG_NOT_ALLOWED' })
  })
  it('refuses an algorithm the key cannot verify even if allowed (PS256 header on an RS256-declared key)', async () => {
    const pss = await makeKey('PS256', 'rsa-3')
    const declaredRs256 = { ...pss.publicJwk, alg: 'RS256' }
    const v = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [declaredRs256] } })
    await expect(v.verify(await sign(pss))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
    const undeclared = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [{ ...pss.publicJwk, alg: undefined }] },
    })
    await expect(undeclared.verify(await sign(pss))).resolves.toMatchObject({ sub: 'alice' })
  })
  it('rejects HMAC and none in the algorithms option', () => {
    for (const alg of ['HS256', 'none', 'RSA-OAEP']) {
      expect(() =>
        createTokenVerifier({
          issuer: ISSUER,
          audience: AUDIENCE,
          jwks: { keys: [key.publicJwk] },
          algorithms: [alg as 'RS256'],
        }),
      ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }))
    }
  })
})

describe('now (the clock option)', () => {
  it('judges exp and nbf by the given clock, not the system one', async () => {
    const token = await sign(key, { exp: NOW + 60, nbf: NOW - 60 })
    const at = (seconds: number) => verifier({ leeway: 0, now: () => seconds * 1000 })
    await expect(at(NOW).verify(token)).resolves.toMatchObject({ exp: NOW + 60 })
    await expect(at(NOW + 61).verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED', status: 401 })
    await expect(at(NOW - 61).verify(token)).rejects.toMatchObject({ claim: 'nbf', status: 401 })
  })

  it('must be a function', () => {
    expect(() => verifier({ now: 5 as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})
