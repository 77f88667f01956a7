import { constants, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AUDIENCE, ISSUER, makeKey, nowSeconds, sign, type TestKey } from '@org/test-kit/keys'
import { base64url, exportPKCS8, generateKeyPair, importPKCS8, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTokenVerifier,
  InvalidPublicKeyError,
  type PublicKeyInput,
  type TokenVerifierOptions,
} from '../src/index.js'
import { publicKeyFromFile } from '../src/node.js'

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const INVALID_KEY = { code: 'ERR_INVALID_PUBLIC_KEY', status: 500, name: 'InvalidPublicKeyError' }
const INVALID_OPTION = { code: 'ERR_INVALID_OPTION', status: 500, name: 'ConfigurationError' }

let rsa: TestKey
let ec256: TestKey
let ec384: TestKey
let ed25519: TestKey

beforeAll(async () => {
  ;[rsa, ec256, ec384, ed25519] = await Promise.all([
    makeKey('RS256', 'rsa-pk'),
    makeKey('ES256', 'ec256-pk'),
    makeKey('ES384', 'ec384-pk'),
    makeKey('EdDSA', 'ed-pk'),
  ])
})

function withKey(publicKey: PublicKeyInput, extra: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, publicKey, cache: false, ...extra })
}

function withJwks(keys: unknown[]) {
  return createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: keys as JWK[] },
    cache: false,
  })
}

/** Runs `fn`, which must throw synchronously, and returns what it threw. */
function thrownBy(fn: () => unknown): Error {
  let result: unknown
  try {
    result = fn()
  } catch (error) {
    return error as Error
  }
  throw new Error(
    `expected a synchronous throw, got ${result instanceof Promise ? 'a promise' : typeof result}`,
  )
}

function expectInvalidKey(fn: () => unknown): InvalidPublicKeyError {
  const error = thrownBy(fn)
  expect(error).toBeInstanceOf(InvalidPublicKeyError)
  expect(error).toMatchObject(INVALID_KEY)
  return error as InvalidPublicKeyError
}

function pemLines(pem: string): { label: string; body: string[] } {
  const lines = pem.trim().split(/\r?\n/)
  const label = (lines[0] ?? '').replace(/^-----BEGIN (.*)-----$/, '$1')
  return { label, body: lines.slice(1, -1) }
}

function assemble(label: string, body: readonly string[]): string {
  return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n`
}

describe('SPKI PEM keys', () => {
  for (const [label, pick] of [
    ['RSA (RS256)', () => rsa],
    ['EC P-256 (ES256)', () => ec256],
    ['EC P-384 (ES384)', () => ec384],
    ['Ed25519 (EdDSA)', () => ed25519],
  ] as const) {
    it(`verifies ${label} tokens signed by the matching private key`, async () => {
      const key = pick()
      const verifier = withKey(key.publicPem)
      await expect(verifier.verify(await sign(key, { sub: 'pem-user' }))).resolves.toMatchObject({
        iss: ISSUER,
        aud: AUDIENCE,
        sub: 'pem-user',
      })
      await expect(verifier.ready()).resolves.toBeUndefined()
    })
  }

  it('refuses a token signed by another key of the same type', async () => {
    const other = await makeKey('ES256', 'ec256-other')
    await expect(withKey(ec256.publicPem).verify(await sign(other))).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
      status: 401,
    })
  })

  it('accepts leading whitespace and trailing newlines', async () => {
    const verifier = withKey(`\n\n   \t${rsa.publicPem}\n\n\n`)
    await expect(verifier.verify(await sign(rsa))).resolves.toMatchObject({ sub: 'alice' })
  })

  it('accepts CRLF line endings', async () => {
    const crlf = `${rsa.publicPem.trim().replace(/\n/g, '\r\n')}\r\n`
    expect(crlf).toContain('\r\n')
    const verifier = withKey(crlf)
    await expect(verifier.verify(await sign(rsa))).resolves.toMatchObject({ sub: 'alice' })
  })

  it('accepts CRLF line endings on an EC key with surrounding whitespace', async () => {
    const crlf = `\r\n  ${ec256.publicPem.trim().replace(/\n/g, '\r\n')}\r\n\r\n`
    await expect(withKey(crlf).verify(await sign(ec256))).resolves.toMatchObject({ sub: 'alice' })
  })
})

describe('RSASSA-PSS SPKI PEM (id-RSASSA-PSS algorithm OID)', () => {
  it('either verifies PS256 tokens of its private key, or is refused when the verifier is created', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    const encode = (value: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(value)))
    const now = nowSeconds()
    const input = `${encode({ alg: 'PS256' })}.${encode({ iss: ISSUER, aud: AUDIENCE, sub: 'pss', iat: now, exp: now + 300 })}`
    const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
    const signature = nodeSign('sha256', Buffer.from(input), { key: privateKey, ...pss })
    // The token is a valid PS256 JWS for this key (checked independently with node:crypto).
    expect(nodeVerify('sha256', Buffer.from(input), { key: publicKey, ...pss }, signature)).toBe(true)
    const token = `${input}.${base64url.encode(signature)}`

    let verifier: ReturnType<typeof withKey>
    try {
      verifier = withKey(pem)
    } catch (error) {
      // Refusing the key up front is acceptable: it must then be the usual key error.
      expect(error).toMatchObject(INVALID_KEY)
      return
    }
    // Accepted at creation, so it must work: a key that passes creation but can never verify
    // turns a start-up misconfiguration into a 401 on every request.
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'pss' })
    await expect(verifier.ready()).resolves.toBeUndefined()
  })
})

describe('X.509 certificate PEM', () => {
  it('verifies tokens signed by the certificate key', async () => {
    const privateKey = await importPKCS8(fixture('cert-key.pem'), 'RS256')
    const now = nowSeconds()
    const token = await new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'cert-user',
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'cert-1', typ: 'at+jwt' })
      .sign(privateKey)
    const verifier = withKey(fixture('cert.pem'))
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'cert-user' })
    await expect(verifier.ready()).resolves.toBeUndefined()
  })
  it('refuses a token signed by another RSA key', async () => {
    await expect(withKey(fixture('cert.pem')).verify(await sign(rsa))).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
  })
})

describe('JWK keys', () => {
  it('verifies with a JWK object', async () => {
    await expect(withKey(ec256.publicJwk).verify(await sign(ec256))).resolves.toMatchObject({ sub: 'alice' })
  })
  it('verifies with a JWK JSON string (with surrounding whitespace)', async () => {
    const json = `  ${JSON.stringify(rsa.publicJwk)}\n`
    await expect(withKey(json).verify(await sign(rsa))).resolves.toMatchObject({ sub: 'alice' })
  })
  it('verifies an Ed25519 JWK', async () => {
    await expect(withKey(ed25519.publicJwk).verify(await sign(ed25519))).resolves.toMatchObject({
      sub: 'alice',
    })
  })
  it('a JWKS object with two keys picks the key by kid', async () => {
    const a = await makeKey('RS256', 'jwks-a')
    const b = await makeKey('RS256', 'jwks-b')
    const verifier = withJwks([a.publicJwk, b.publicJwk])
    await expect(verifier.verify(await sign(a, { sub: 'from-a' }))).resolves.toMatchObject({ sub: 'from-a' })
    await expect(verifier.verify(await sign(b, { sub: 'from-b' }))).resolves.toMatchObject({ sub: 'from-b' })
    // Signed by a but naming b's kid: checked against b only, so the signature fails.
    await expect(verifier.verify(await sign(a, {}, { kid: 'jwks-b' }))).rejects.toMatchObject({
      code: 'ERR_JWT_SIGNATURE_INVALID',
    })
    // A kid the set does not hold matches no key.
    await expect(verifier.verify(await sign(a, {}, { kid: 'jwks-c' }))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    await expect(verifier.ready()).resolves.toBeUndefined()
  })
  it('a JWKS mixing usable and unusable keys keeps the usable ones', async () => {
    const verifier = withJwks([
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
      { ...rsa.publicJwk, kid: 'enc', use: 'enc' },
      { kty: 'EC', crv: 'secp256k1', x: 'eA', y: 'eQ', kid: 'k1' },
      'not a jwk',
      ec256.publicJwk,
    ])
    await expect(verifier.verify(await sign(ec256))).resolves.toMatchObject({ sub: 'alice' })
    // The skipped encryption key does not verify the RSA token that names it.
    await expect(verifier.verify(await sign(rsa, {}, { kid: 'enc' }))).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    await expect(verifier.ready()).resolves.toBeUndefined()
  })
})

describe('malformed keys fail when the verifier is created', () => {
  it('a garbage string', () => {
    expectInvalidKey(() => withKey('not a key at all'))
  })
  it('an empty string', () => {
    expectInvalidKey(() => withKey(''))
  })
  it('a JSON string that does not parse', () => {
    expectInvalidKey(() => withKey('{"kty": "RSA",'))
  })
  it('a truncated PEM body', () => {
    const { label, body } = pemLines(rsa.publicPem)
    expect(body.length).toBeGreaterThan(4)
    expectInvalidKey(() => withKey(assemble(label, body.slice(0, 3))))
  })
  it('a PEM whose last line is cut short', () => {
    const { label, body } = pemLines(ec256.publicPem)
    const cut = [...body.slice(0, -1), (body.at(-1) ?? '').slice(0, 4)]
    expectInvalidKey(() => withKey(assemble(label, cut)))
  })
  it('a PEM with broken base64 ("=" in the middle of the body)', () => {
    const { label, body } = pemLines(rsa.publicPem)
    const first = body[0] ?? ''
    const broken = [`${first.slice(0, 10)}=${first.slice(11)}`, ...body.slice(1)]
    expectInvalidKey(() => withKey(assemble(label, broken)))
  })
  it('a PEM with characters outside base64', () => {
    const { label, body } = pemLines(rsa.publicPem)
    const first = body[0] ?? ''
    const broken = [`${first.slice(0, 10)}*${first.slice(11)}`, ...body.slice(1)]
    expectInvalidKey(() => withKey(assemble(label, broken)))
  })
  it('a PEM whose END label does not match its BEGIN label', () => {
    const { body } = pemLines(rsa.publicPem)
    expectInvalidKey(() =>
      withKey(`-----BEGIN PUBLIC KEY-----\n${body.join('\n')}\n-----END CERTIFICATE-----\n`),
    )
  })
  it('a PKCS#8 PRIVATE KEY PEM, without echoing it', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const pem = await exportPKCS8(privateKey)
    expect(pem).toContain('-----BEGIN PRIVATE KEY-----')
    const error = expectInvalidKey(() => withKey(pem))
    expect(error.message).toMatch(/private key/i)
    for (const line of pemLines(pem).body) expect(error.message).not.toContain(line)
  })
  it('an RSA PRIVATE KEY (PKCS#1) PEM', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    expect(pem).toContain('-----BEGIN RSA PRIVATE KEY-----')
    expectInvalidKey(() => withKey(pem))
  })
  it('the PKCS#1 "RSA PUBLIC KEY" fixture', () => {
    const pem = fixture('pkcs1-public.pem')
    expect(pem).toContain('-----BEGIN RSA PUBLIC KEY-----')
    const error = expectInvalidKey(() => withKey(pem))
    expect(error.message).toContain('PKCS#1')
  })
  it('a 1024-bit RSA key (PEM and JWK)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    const error = expectInvalidKey(() => withKey(pem))
    expect(error.message).toContain('2048')
    const jwk = publicKey.export({ format: 'jwk' }) as JWK
    expectInvalidKey(() => withKey(jwk))
  })
  it('a JWK with a private member "d"', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const { exportJWK } = await import('jose')
    const jwk = await exportJWK(privateKey)
    expect(jwk.d).toBeTypeOf('string')
    const error = expectInvalidKey(() => withKey(jwk))
    expect(error.message).not.toContain(jwk.d as string)
    expectInvalidKey(() => withKey(JSON.stringify(jwk)))
  })
  it('a symmetric kty "oct" JWK', () => {
    expectInvalidKey(() => withKey({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' }))
  })
  it('a JWK with use "enc"', () => {
    expectInvalidKey(() => withKey({ ...rsa.publicJwk, use: 'enc' }))
  })
  it('a JWK with key_ops ["encrypt"]', () => {
    const { use: _use, ...jwk } = rsa.publicJwk
    expectInvalidKey(() => withKey({ ...jwk, key_ops: ['encrypt'] }))
  })
  it('an EC JWK on secp256k1', () => {
    expectInvalidKey(() =>
      withKey({
        kty: 'EC',
        crv: 'secp256k1',
        x: 'hRZ2LMZmqm0rqyH39Y6UlMUbYmQmB4JpVIBfyKDXTEQ',
        y: 'uFbOCSUF9ZZTnwgUp5HBOvNbFRxqwZbJ4IhHKSz-s0w',
      }),
    )
  })
  it('a JWK whose alg does not fit its key type', () => {
    expectInvalidKey(() => withKey({ ...ec256.publicJwk, alg: 'RS256' }))
  })
  it('a JWKS object whose keys are all unusable', () => {
    expectInvalidKey(() =>
      withJwks([
        { kty: 'oct', k: 'c2VjcmV0' },
        { ...rsa.publicJwk, use: 'enc' },
        { ...ec256.publicJwk, key_ops: ['encrypt'] },
      ]),
    )
  })
  it('an empty JWKS and a JWKS without "keys"', () => {
    expectInvalidKey(() => withJwks([]))
    expectInvalidKey(() =>
      createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks: { kty: 'RSA' } as never }),
    )
  })
})

describe('publicKeyFromFile', () => {
  let dir: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-core-keys-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads a PEM from a file; the result configures a verifier', async () => {
    const path = join(dir, 'public.pem')
    writeFileSync(path, rsa.publicPem)
    const key = publicKeyFromFile(path)
    expect(key).toBe(rsa.publicPem)
    await expect(withKey(key).verify(await sign(rsa))).resolves.toMatchObject({ sub: 'alice' })
  })
  it('reads a JWK JSON file', async () => {
    const path = join(dir, 'public.json')
    writeFileSync(path, JSON.stringify(ec256.publicJwk))
    await expect(withKey(publicKeyFromFile(path)).verify(await sign(ec256))).resolves.toMatchObject({
      sub: 'alice',
    })
  })
  it('reads a certificate file', () => {
    const path = join(dir, 'cert.pem')
    writeFileSync(path, fixture('cert.pem'))
    expect(publicKeyFromFile(path)).toContain('-----BEGIN CERTIFICATE-----')
  })
  it('a missing path throws ERR_INVALID_PUBLIC_KEY', () => {
    const path = join(dir, 'does-not-exist.pem')
    const error = expectInvalidKey(() => publicKeyFromFile(path))
    expect(error.message).toContain('ENOENT')
  })
  it('a file holding a private key throws without echoing its content', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const pem = await exportPKCS8(privateKey)
    const path = join(dir, 'private.pem')
    writeFileSync(path, pem)
    const error = expectInvalidKey(() => publicKeyFromFile(path))
    for (const line of pemLines(pem).body) expect(error.message).not.toContain(line)
  })
  it('a file holding garbage throws without echoing its content', () => {
    const path = join(dir, 'garbage.txt')
    writeFileSync(path, 'super-secret-value-123')
    const error = expectInvalidKey(() => publicKeyFromFile(path))
    expect(error.message).not.toContain('super-secret-value-123')
  })
})

describe('option validation', () => {
  const base = () => ({ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [ec256.publicJwk] } })

  for (const [label, options] of [
    ['a missing issuer', () => ({ ...base(), issuer: undefined })],
    ['an empty issuer', () => ({ ...base(), issuer: '' })],
    ['a missing audience', () => ({ ...base(), audience: undefined })],
    ['an empty audience array', () => ({ ...base(), audience: [] })],
    ['both jwks and publicKey', () => ({ ...base(), publicKey: ec256.publicPem })],
    ['neither jwks nor publicKey', () => ({ issuer: ISSUER, audience: AUDIENCE })],
    ['leeway 5000', () => ({ ...base(), leeway: 5000 })],
    ['a negative leeway', () => ({ ...base(), leeway: -1 })],
    ['the unknown option "audiance"', () => ({ ...base(), audiance: AUDIENCE })],
  ] as const) {
    it(`refuses ${label} synchronously`, () => {
      const error = thrownBy(() => createTokenVerifier(options() as unknown as TokenVerifierOptions))
      expect(error).toMatchObject(INVALID_OPTION)
    })
  }
  it('names the misspelt option', () => {
    const error = thrownBy(() =>
      createTokenVerifier({ ...base(), audiance: AUDIENCE } as unknown as TokenVerifierOptions),
    )
    expect(error.message).toContain('audiance')
  })
  it('accepts leeway 0 and 600', () => {
    expect(createTokenVerifier({ ...base(), leeway: 0 }).issuer).toBe(ISSUER)
    expect(createTokenVerifier({ ...base(), leeway: 600 }).issuer).toBe(ISSUER)
  })
})
