import { createRequire } from 'node:module'
import { AUDIENCE, ISSUER, makeKey, sign, type TestKey } from '@org/test-kit/keys'
import { base64url, importJWK } from 'jose'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTokenVerifier } from '../src/index.js'
import { nativeCheck, type SignatureCheck, webCryptoCheck } from '../src/keys/signature-check.js'

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']
const nodeCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')
/** False in the `core-webcrypto` project, whose setup withholds `node:crypto`. */
const nodeLent = typeof process.getBuiltinModule === 'function'

const keys = new Map<string, { key: TestKey; other: TestKey; cryptoKey: CryptoKey }>()

beforeAll(async () => {
  for (const alg of ALGORITHMS) {
    const key = await makeKey(alg)
    const cryptoKey = (await importJWK({ ...key.publicJwk, ext: false }, alg)) as CryptoKey
    keys.set(alg, { key, other: await makeKey(alg), cryptoKey })
  }
})
afterEach(() => {
  vi.restoreAllMocks()
})

function withSignature(token: string, signature: Uint8Array | string): string {
  const encoded = typeof signature === 'string' ? signature : base64url.encode(signature)
  return `${token.slice(0, token.lastIndexOf('.'))}.${encoded}`
}

function signatureOf(token: string): Uint8Array {
  return base64url.decode(token.slice(token.lastIndexOf('.') + 1))
}

/** Both paths, so each is held to the same answers whichever project runs this file. */
function checks(cryptoKey: CryptoKey, alg: string): [string, SignatureCheck][] {
  const native = nativeCheck(cryptoKey, alg)
  const portable: [string, SignatureCheck] = ['webcrypto', webCryptoCheck(cryptoKey, alg)]
  return native === undefined ? [portable] : [['native', native], portable]
}

describe.each(ALGORITHMS)('%s signature checks', (alg) => {
  it('accept the key’s own signature and refuse every altered one, on each path alike', async () => {
    const { key, other, cryptoKey } = keys.get(alg) as { key: TestKey; other: TestKey; cryptoKey: CryptoKey }
    const token = await sign(key)
    const signature = signatureOf(token)
    const flipped = signature.slice()
    const middle = Math.floor(flipped.length / 2)
    flipped[middle] = (flipped[middle] as number) ^ 0x01
    const cases: [string, string, boolean][] = [
      ['valid', token, true],
      ['one bit flipped', withSignature(token, flipped), false],
      ['another key’s signature', withSignature(token, signatureOf(await sign(other))), false],
      [
        'another payload',
        `${token.split('.')[0]}.${(await sign(key, { sub: 'mallory' })).split('.')[1]}.${token.split('.')[2]}`,
        false,
      ],
      ['truncated by one byte', withSignature(token, signature.slice(0, -1)), false],
      ['one byte longer', withSignature(token, Uint8Array.of(...signature, 0)), false],
      ['a leading zero byte', withSignature(token, Uint8Array.of(0, ...signature)), false],
      ['all zeros', withSignature(token, new Uint8Array(signature.length)), false],
      ['a single byte', withSignature(token, 'AA'), false],
    ]
    for (const [path, check] of checks(cryptoKey, alg)) {
      for (const [what, candidate, expected] of cases) {
        expect({ path, what, signed: await check(candidate) }).toEqual({ path, what, signed: expected })
      }
    }
  })
})

describe('which path a verifier takes', () => {
  it(
    nodeLent
      ? 'node:crypto where the runtime lends it, never Web Crypto'
      : 'Web Crypto where node:crypto is withheld',
    async () => {
      const { key } = keys.get('RS256') as { key: TestKey }
      const verifier = createTokenVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks: { keys: [key.publicJwk] },
        cache: false,
      })
      // The first use makes (and, on the native path, probes once) the key's check.
      await verifier.verify(await sign(key))
      const native = vi.spyOn(nodeCrypto, 'verify')
      const subtle = vi.spyOn(crypto.subtle, 'verify')
      await expect(verifier.verify(await sign(key))).resolves.toMatchObject({ sub: 'alice' })
      await expect(verifier.verify(withSignature(await sign(key), 'AAAA'))).rejects.toMatchObject({
        code: 'ERR_JWT_SIGNATURE_INVALID',
      })
      expect({ native: native.mock.calls.length, subtle: subtle.mock.calls.length }).toEqual(
        nodeLent ? { native: 2, subtle: 0 } : { native: 0, subtle: 2 },
      )
    },
  )

  it('ECDSA in DER form (what OpenSSL emits by default) is refused on both paths', async () => {
    const { key, cryptoKey } = keys.get('ES256') as { key: TestKey; cryptoKey: CryptoKey }
    const token = await sign(key)
    const raw = signatureOf(token)
    const toDer = (part: Uint8Array) => {
      const trimmed = part[0] === 0 ? part.slice(1) : part
      const body = (trimmed[0] as number) & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed
      return [0x02, body.length, ...body]
    }
    const sequence = [...toDer(raw.slice(0, 32)), ...toDer(raw.slice(32))]
    const der = withSignature(token, Uint8Array.of(0x30, sequence.length, ...sequence))
    for (const [path, check] of checks(cryptoKey, 'ES256')) {
      expect({ path, signed: await check(der) }).toEqual({ path, signed: false })
    }
  })

  it('an RS256 signature is not a PS256 one (padding is bound to the algorithm)', async () => {
    const { key } = keys.get('RS256') as { key: TestKey }
    const pss = (await importJWK({ ...key.publicJwk, alg: 'PS256', ext: false }, 'PS256')) as CryptoKey
    // A PKCS#1 v1.5 signature over a header that claims PS256: the bytes verify as RS256 only.
    const header = base64url.encode(JSON.stringify({ alg: 'PS256', kid: key.kid, typ: 'at+jwt' }))
    const payload = (await sign(key)).split('.')[1] as string
    const input = `${header}.${payload}`
    const rsaSignature = nodeCrypto.sign(
      'sha256',
      Buffer.from(input),
      nodeCrypto.KeyObject.from(key.privateKey),
    )
    const token = `${input}.${base64url.encode(rsaSignature)}`
    expect(
      nodeCrypto.verify('sha256', Buffer.from(input), nodeCrypto.KeyObject.from(pss), rsaSignature),
    ).toBe(true)
    for (const [path, check] of checks(pss, 'PS256')) {
      expect({ path, signed: await check(token) }).toEqual({ path, signed: false })
    }
  })
})

describe('a node:crypto that cannot take a key form', () => {
  it('hands that key to Web Crypto (workerd refuses { key, dsaEncoding } and { key, padding })', async () => {
    const require = createRequire(import.meta.url)
    // Like workerd with nodejs_compat: a bare KeyObject works, an options object throws.
    const picky = {
      ...nodeCrypto,
      verify(...args: Parameters<typeof nodeCrypto.verify>) {
        if (!(args[2] instanceof nodeCrypto.KeyObject)) throw new TypeError('ERR_INVALID_ARG_TYPE')
        return nodeCrypto.verify(...args)
      },
    }
    const descriptor = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule')
    Object.defineProperty(process, 'getBuiltinModule', {
      value: (id: string) => (id === 'node:crypto' ? picky : require(id)),
      configurable: true,
      writable: true,
    })
    try {
      vi.resetModules() // a fresh copy of the module probes the runtime again
      const fresh = await import('../src/keys/signature-check.js')
      for (const alg of ['ES256', 'PS256', 'RS256', 'EdDSA']) {
        const { key, cryptoKey } = keys.get(alg) as { key: TestKey; cryptoKey: CryptoKey }
        const native = fresh.nativeCheck(cryptoKey, alg)
        expect({ alg, native: native !== undefined }).toEqual({
          alg,
          native: alg === 'RS256' || alg === 'EdDSA',
        })
        // Whatever the path, the key's own token verifies through the public check.
        await expect(Promise.resolve(fresh.signatureCheck(cryptoKey, alg)(await sign(key)))).resolves.toBe(
          true,
        )
      }
    } finally {
      if (descriptor === undefined) delete (process as { getBuiltinModule?: unknown }).getBuiltinModule
      else Object.defineProperty(process, 'getBuiltinModule', descriptor)
      vi.resetModules()
    }
  })
})
