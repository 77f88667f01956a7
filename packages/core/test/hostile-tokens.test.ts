import {
  AUDIENCE,
  forge,
  hmacForge,
  ISSUER,
  makeKey,
  nowSeconds,
  sign,
  type TestKey,
} from '@org/test-kit/keys'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTokenVerifier, type TokenVerifier } from '../src/index.js'

let rsa: TestKey
let verifier: TokenVerifier

function claims(extra: Record<string, unknown> = {}) {
  const now = nowSeconds()
  return { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 300, ...extra }
}

async function rejects(token: unknown, code: string, target: TokenVerifier = verifier) {
  await expect(target.verify(token as string)).rejects.toMatchObject({
    code,
    status: 401,
    oauthError: 'invalid_token',
  })
}

beforeAll(async () => {
  rsa = await makeKey('RS256', 'rsa-1')
  verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [rsa.publicJwk] },
    cache: false,
  })
})

describe('a valid token', () => {
  it('verifies and returns frozen claims', async () => {
    const result = await verifier.verify(await sign(rsa))
    expect(result).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', scope: 'read write' })
    expect(Object.isFrozen(result)).toBe(true)
  })
})

describe('alg none', () => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    it(`refuses alg "${alg}"`, async () => {
      await rejects(forge({ alg, kid: 'rsa-1' }, claims()), 'ERR_JWT_ALG_NOT_ALLOWED')
    })
    it(`refuses alg "${alg}" in its usual unsigned form (empty signature)`, async () => {
      await rejects(`${forge({ alg }, claims(), '')}`, 'ERR_JWT_MALFORMED')
    })
  }
})

describe('HMAC signed with the public key (key confusion)', () => {
  it('refuses HS256 keyed by the PEM', async () => {
    await rejects(
      await hmacForge({ alg: 'HS256', kid: 'rsa-1' }, claims(), rsa.publicPem),
      'ERR_JWT_ALG_NOT_ALLOWED',
    )
  })
  it('refuses HS256 keyed by the PEM with leading whitespace and a trailing newline', async () => {
    const secret = `\n  ${rsa.publicPem}\n`
    await rejects(
      await hmacForge({ alg: 'HS256', kid: 'rsa-1' }, claims(), secret),
      'ERR_JWT_ALG_NOT_ALLOWED',
    )
  })
  it('refuses HS256 keyed by the JWK JSON', async () => {
    const secret = JSON.stringify(rsa.publicJwk)
    await rejects(
      await hmacForge({ alg: 'HS256', kid: 'rsa-1' }, claims(), secret),
      'ERR_JWT_ALG_NOT_ALLOWED',
    )
  })
  it('refuses an HMAC signature under a header claiming RS256', async () => {
    await rejects(
      await hmacForge({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' }, claims(), rsa.publicPem),
      'ERR_JWT_SIGNATURE_INVALID',
    )
  })
  it('refuses HS256 even from a verifier configured with the PEM directly', async () => {
    const pemVerifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      publicKey: rsa.publicPem,
      cache: false,
    })
    await rejects(
      await hmacForge({ alg: 'HS256' }, claims(), rsa.publicPem),
      'ERR_JWT_ALG_NOT_ALLOWED',
      pemVerifier,
    )
  })
})

describe('key-carrying headers', () => {
  for (const name of ['jwk', 'jku', 'x5u', 'x5c']) {
    it(`refuses a token whose header carries "${name}"`, async () => {
      const value =
        name === 'jwk' ? rsa.publicJwk : name === 'x5c' ? ['MIIB'] : 'https://attacker.example/keys'
      await rejects(await sign(rsa, {}, { [name]: value }), 'ERR_JWT_HEADER_FORBIDDEN')
    })
  }
})

describe('kid', () => {
  it('treats a path-traversal kid as an unknown key', async () => {
    await rejects(await sign(rsa, {}, { kid: '../../../../etc/passwd' }), 'ERR_JWKS_NO_MATCHING_KEY')
  })
  it('treats an SQL-injection kid as an unknown key', async () => {
    await rejects(await sign(rsa, {}, { kid: "' OR '1'='1'; --" }), 'ERR_JWKS_NO_MATCHING_KEY')
  })
  it('refuses a 10 KB kid before any lookup', async () => {
    const longKidVerifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [rsa.publicJwk] },
      maxTokenLength: 65_536,
    })
    await rejects(await sign(rsa, {}, { kid: 'k'.repeat(10_240) }), 'ERR_JWT_MALFORMED', longKidVerifier)
  })
  for (const kid of [42, null, ['rsa-1'], { id: 'rsa-1' }, true]) {
    it(`refuses a non-string kid ${JSON.stringify(kid)}`, async () => {
      await rejects(forge({ alg: 'RS256', kid }, claims()), 'ERR_JWT_MALFORMED')
    })
  }
})

describe('critical headers', () => {
  it('refuses an unknown crit extension', async () => {
    await rejects(
      forge({ alg: 'RS256', kid: 'rsa-1', crit: ['exp'], exp: 1 }, claims()),
      'ERR_JWT_CRIT_UNSUPPORTED',
    )
  })
  it('refuses b64:false (unencoded payload)', async () => {
    await rejects(
      forge({ alg: 'RS256', kid: 'rsa-1', b64: false, crit: ['b64'] }, claims()),
      'ERR_JWT_CRIT_UNSUPPORTED',
    )
  })
})

describe('shape', () => {
  for (const [label, token] of [
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['five segments (JWE)', 'a.b.c.d.e'],
    ['an empty signature', 'eyJhbGciOiJSUzI1NiJ9.e30.'],
    ['an empty string', ''],
  ] as const) {
    it(`refuses ${label}`, async () => {
      await rejects(token, 'ERR_JWT_MALFORMED')
    })
  }
  it('refuses non-base64url characters', async () => {
    const token = await sign(rsa)
    await rejects(token.replace('.', '+.'), 'ERR_JWT_MALFORMED')
    await rejects(`${token.slice(0, 10)}=${token.slice(10)}`, 'ERR_JWT_MALFORMED')
  })
  it('refuses a segment of 4n + 1 characters (no base64 at all), which a lenient decoder would shorten', async () => {
    // ES384 signatures are 96 bytes, 128 characters: one more character is dropped by Node's decoder.
    const es384 = await makeKey('ES384', 'es384-1')
    const target = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwks: { keys: [es384.publicJwk] },
      cache: false,
    })
    const token = await sign(es384)
    expect(token.split('.')[2]).toHaveLength(128)
    await expect(target.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await rejects(`${token}A`, 'ERR_JWT_MALFORMED', target)
    await rejects(
      `${token.split('.')[0]}A.${token.split('.').slice(1).join('.')}`,
      'ERR_JWT_MALFORMED',
      target,
    )
  })
  it('refuses a header that is not JSON', async () => {
    await rejects(forge('bm90LWpzb24', claims()), 'ERR_JWT_MALFORMED')
  })
  it('refuses a non-string token', async () => {
    await rejects(42, 'ERR_JWT_MALFORMED')
  })
  it('refuses an oversized token before decoding it', async () => {
    const big = await sign(rsa, { pad: 'x'.repeat(9000) })
    await rejects(big, 'ERR_JWT_TOO_LARGE')
  })
})

describe('payload', () => {
  for (const [label, payload] of [
    ['an array', [claims()]],
    ['null', null],
    ['a number', 42],
    ['a string', 'claims'],
  ] as const) {
    it(`refuses a correctly signed payload that is ${label}`, async () => {
      const { CompactSign } = await import('jose')
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1', typ: 'at+jwt' })
        .sign(rsa.privateKey)
      await rejects(token, 'ERR_JWT_MALFORMED')
    })
  }
})

describe('one spelling per token', () => {
  it('refuses a signature whose last character sets the unused bits (the same bytes, another token string)', async () => {
    const token = await sign(rsa)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const signature = token.slice(token.lastIndexOf('.') + 1)
    expect(signature.length % 4).toBe(2) // RS256 with a 2048-bit key: 256 bytes, 4 unused bits
    const last = alphabet.indexOf(signature.at(-1) as string)
    const twin = `${token.slice(0, -1)}${alphabet[last | 1]}`
    expect(twin).not.toBe(token)
    expect(Buffer.from(twin.split('.')[2] as string, 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    )
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    await rejects(twin, 'ERR_JWT_MALFORMED')
  })
})

describe('messages a developer can act on', () => {
  it('says why `x.y.z` is refused: its segments are base64url characters, of a length no encoding has', async () => {
    await expect(verifier.verify('x.y.z')).rejects.toMatchObject({
      code: 'ERR_JWT_MALFORMED',
      message: expect.stringContaining('4n + 1'),
    })
    await expect(verifier.verify('a$.b.c')).rejects.toMatchObject({
      message: 'The token segments must be non-empty base64url',
    })
  })
})
