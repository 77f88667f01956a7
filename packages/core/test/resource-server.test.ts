import { AUDIENCE, forge, makeKey, nowSeconds, sign, type TestKey } from '@org/test-kit/keys'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createResourceServer,
  createTokenVerifier,
  type ResourceServer,
  type TokenVerifier,
} from '../src/index.js'

const ISSUER_A = 'https://a.issuer.example.test'
const ISSUER_B = 'https://b.issuer.example.test'

let keyA: TestKey
let keyB: TestKey
let verifierA: TokenVerifier
let verifierB: TokenVerifier
let server: ResourceServer

function verifierFor(issuer: string, key: TestKey, cache = false): TokenVerifier {
  return createTokenVerifier({
    issuer,
    audience: AUDIENCE,
    jwks: { keys: [key.publicJwk] },
    ...(cache ? {} : { cache: false as const }),
  })
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a synchronous throw')
}

const unknownIssuer = {
  code: 'ERR_JWT_ISSUER_UNKNOWN',
  claim: 'iss',
  status: 401,
  oauthError: 'invalid_token',
}

beforeAll(async () => {
  keyA = await makeKey('RS256', 'issuer-a-key')
  keyB = await makeKey('ES256', 'issuer-b-key')
  verifierA = verifierFor(ISSUER_A, keyA)
  verifierB = verifierFor(ISSUER_B, keyB)
  server = createResourceServer({ verifiers: [verifierA, verifierB] })
})

describe('routing by issuer', () => {
  it('lists the configured issuers', () => {
    expect(server.issuers).toEqual([ISSUER_A, ISSUER_B])
  })
  it("verifies issuer A's tokens", async () => {
    const token = await sign(keyA, { iss: ISSUER_A, sub: 'from-a' })
    await expect(server.verify(token)).resolves.toMatchObject({ iss: ISSUER_A, sub: 'from-a', aud: AUDIENCE })
  })
  it("verifies issuer B's tokens", async () => {
    const token = await sign(keyB, { iss: ISSUER_B, sub: 'from-b' })
    await expect(server.verify(token)).resolves.toMatchObject({ iss: ISSUER_B, sub: 'from-b' })
  })
  it("refuses a token naming issuer A but signed with issuer B's key", async () => {
    // The token is routed to A's verifier by its `iss`. Its header names B's kid, which A's JWKS
    // does not hold, so no key of A is even tried: ERR_JWKS_NO_MATCHING_KEY (not a signature check
    // against B's key, which the resource server never consults for an A token).
    const token = await sign(keyB, { iss: ISSUER_A })
    await expect(server.verify(token)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
      status: 401,
      oauthError: 'invalid_token',
    })
  })
  it("refuses a token naming issuer A, signed with B's key, that spoofs A's kid", async () => {
    // A's key is now selected by kid, but it is declared RS256 while B signs ES256: the key cannot
    // verify the header's algorithm, so again there is no candidate key.
    const token = await sign(keyB, { iss: ISSUER_A }, { kid: 'issuer-a-key' })
    await expect(server.verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' })
  })
  it("refuses a token naming issuer A and A's kid, signed by another RSA key", async () => {
    // Same key type and algorithm as A's key: A's key is tried and the signature check fails.
    const impostor = await makeKey('RS256', 'impostor')
    const token = await sign(impostor, { iss: ISSUER_A }, { kid: 'issuer-a-key' })
    await expect(server.verify(token)).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
      status: 401,
    })
  })
})

describe('unknown or missing issuer', () => {
  it('refuses an unknown issuer', async () => {
    const token = await sign(keyA, { iss: 'https://evil.example.test' })
    await expect(server.verify(token)).rejects.toMatchObject(unknownIssuer)
  })
  it('refuses an issuer that differs only by a trailing slash', async () => {
    const token = await sign(keyA, { iss: `${ISSUER_A}/` })
    await expect(server.verify(token)).rejects.toMatchObject(unknownIssuer)
  })
  it('refuses a token without iss', async () => {
    const token = await sign(keyA, { iss: undefined })
    await expect(server.verify(token)).rejects.toMatchObject(unknownIssuer)
  })
  it('refuses a non-string iss', async () => {
    await expect(
      server.verify(await sign(keyA, { iss: [ISSUER_A] as unknown as string })),
    ).rejects.toMatchObject(unknownIssuer)
    await expect(server.verify(await sign(keyA, { iss: 42 as unknown as string }))).rejects.toMatchObject(
      unknownIssuer,
    )
  })
  it('refuses an inherited property name as issuer', async () => {
    const token = await sign(keyA, { iss: '__proto__' })
    await expect(server.verify(token)).rejects.toMatchObject(unknownIssuer)
  })
  it('never verifies a token of an unknown issuer', async () => {
    const verifyA = vi.fn(verifierA.verify)
    const verifyB = vi.fn(verifierB.verify)
    const spied = createResourceServer({
      verifiers: [
        { ...verifierA, verify: verifyA },
        { ...verifierB, verify: verifyB },
      ],
    })
    await expect(spied.verify(await sign(keyA, { iss: 'https://evil.example.test' }))).rejects.toMatchObject(
      unknownIssuer,
    )
    await expect(spied.verify(await sign(keyA, { iss: undefined }))).rejects.toMatchObject(unknownIssuer)
    expect(verifyA).not.toHaveBeenCalled()
    expect(verifyB).not.toHaveBeenCalled()

    // A known issuer reaches exactly its own verifier, once.
    const token = await sign(keyB, { iss: ISSUER_B })
    await expect(spied.verify(token)).resolves.toMatchObject({ iss: ISSUER_B })
    expect(verifyA).not.toHaveBeenCalled()
    expect(verifyB).toHaveBeenCalledTimes(1)
    expect(verifyB).toHaveBeenCalledWith(token)
  })
})

describe('malformed tokens', () => {
  for (const [label, token] of [
    ['garbage', 'not-a-jwt'],
    ['two segments', 'abc.def'],
    ['an empty string', ''],
    ['a payload that is not JSON', forge({ alg: 'RS256' }, 'bm90LWpzb24')],
    ['a payload that is an array', forge({ alg: 'RS256' }, [{ iss: ISSUER_A }])],
  ] as const) {
    it(`refuses ${label} as ERR_JWT_MALFORMED`, async () => {
      await expect(server.verify(token)).rejects.toMatchObject({
        code: 'ERR_JWT_MALFORMED',
        status: 401,
        oauthError: 'invalid_token',
      })
    })
  }
  it('refuses a non-string token as ERR_JWT_MALFORMED, as a single verifier does', async () => {
    await expect(verifierA.verify(42 as unknown as string)).rejects.toMatchObject({
      code: 'ERR_JWT_MALFORMED',
    })
    await expect(server.verify(42 as unknown as string)).rejects.toMatchObject({
      code: 'ERR_JWT_MALFORMED',
      status: 401,
    })
  })
  it('refuses an oversized token before decoding it', async () => {
    const small = createResourceServer({ verifiers: [verifierA], maxTokenLength: 100 })
    await expect(small.verify(await sign(keyA, { iss: ISSUER_A }))).rejects.toMatchObject({
      code: 'ERR_JWT_TOO_LARGE',
    })
  })
  it('routes before the signature is checked, so a forged token of a known issuer fails its signature', async () => {
    const now = nowSeconds()
    const token = forge(
      { alg: 'RS256', kid: 'issuer-a-key', typ: 'at+jwt' },
      { iss: ISSUER_A, aud: AUDIENCE, exp: now + 60 },
    )
    await expect(server.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_SIGNATURE_INVALID' })
  })
})

describe('configuration', () => {
  it('refuses two verifiers with the same issuer', () => {
    const duplicate = verifierFor(ISSUER_A, keyB)
    expect(
      thrownBy(() => createResourceServer({ verifiers: [verifierA, verifierB, duplicate] })),
    ).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      status: 500,
    })
  })
  it('refuses an empty verifier list', () => {
    expect(thrownBy(() => createResourceServer({ verifiers: [] }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    })
  })
  it('refuses missing verifiers', () => {
    expect(thrownBy(() => createResourceServer({} as never))).toMatchObject({ code: 'ERR_INVALID_OPTION' })
  })
})

describe('caching through the resource server', () => {
  it('serves a token verified earlier from its verifier cache', async () => {
    const cachingA = verifierFor(ISSUER_A, keyA, true)
    const cachingB = verifierFor(ISSUER_B, keyB, true)
    const verifyA = vi.fn(cachingA.verify)
    const rs = createResourceServer({ verifiers: [{ ...cachingA, verify: verifyA }, cachingB] })
    const token = await sign(keyA, { iss: ISSUER_A })
    const first = await rs.verify(token)
    const second = await rs.verify(token)
    expect(second).toBe(first)
    expect(verifyA).toHaveBeenCalledTimes(1)
    expect(cachingA.cached(token)).toBe(first)
    expect(cachingB.cached(token)).toBeUndefined()
  })
})
