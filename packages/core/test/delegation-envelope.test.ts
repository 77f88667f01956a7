import { CompactEncrypt, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type DelegationKey,
  decryptEnvelope,
  encryptEnvelope,
  peekEnvelope,
  REQUEST_TYPE,
  RESPONSE_TYPE,
  sealEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../src/delegation/index.js'
import { importDelegationKey } from '../src/delegation/keys.js'

const encoder = new TextEncoder()
let signer: DelegationKey
let pinned: DelegationKey
let recipientPrivate: DelegationKey
let recipientPublic: DelegationKey
let rawSigner: CryptoKey

beforeAll(async () => {
  const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const x = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
  rawSigner = ed.privateKey
  signer = await importDelegationKey(await exportPKCS8(ed.privateKey), 'sign', 'signer')
  pinned = await importDelegationKey(await exportSPKI(ed.publicKey), 'verify', 'pinned')
  recipientPrivate = await importDelegationKey(await exportJWK(x.privateKey), 'decrypt', 'recipient')
  recipientPublic = await importDelegationKey(await exportSPKI(x.publicKey), 'encrypt', 'recipient')
})

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWS with any header (jose refuses to write some), validly signed by the real signer. */
async function jwsWith(header: Record<string, unknown>, payload: unknown = { a: 1 }): Promise<string> {
  const input = `${b64({ alg: 'EdDSA', ...header })}.${b64(payload)}`
  const signature = await crypto.subtle.sign('Ed25519', rawSigner, encoder.encode(input))
  return `${input}.${Buffer.from(signature).toString('base64url')}`
}

describe('sealEnvelope / decryptEnvelope / verifyEnvelope', () => {
  it('round-trips: sign, encrypt, decrypt, verify', async () => {
    const jwe = await sealEnvelope({ hello: 'world' }, REQUEST_TYPE, signer, recipientPublic)
    expect(jwe.split('.')).toHaveLength(5)
    const header = JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString())
    expect(header).toMatchObject({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: recipientPublic.kid,
      cty: 'JWT',
    })
    expect(Object.keys(header.epk).sort()).toEqual(['crv', 'kty', 'x'])
    const jws = await decryptEnvelope(jwe, [recipientPrivate])
    expect(peekEnvelope(jws)?.header).toEqual({ alg: 'EdDSA', kid: signer.kid, typ: REQUEST_TYPE })
    await expect(verifyEnvelope(jws, REQUEST_TYPE, [pinned])).resolves.toEqual({ hello: 'world' })
  })

  it('selects the decryption key by kid among several (rotation)', async () => {
    const other = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
    const otherKey = await importDelegationKey(await exportJWK(other.privateKey), 'decrypt', 'other')
    const jwe = await encryptEnvelope('a.b.c', recipientPublic)
    await expect(decryptEnvelope(jwe, [otherKey, recipientPrivate])).resolves.toBe('a.b.c')
    await expect(decryptEnvelope(jwe, [otherKey])).rejects.toMatchObject({
      code: 'ERR_DELEGATION_KEY_UNKNOWN',
    })
  })

  it('refuses a request JWS where a response is expected, and the reverse (typ)', async () => {
    const jws = await signEnvelope({}, REQUEST_TYPE, signer)
    await expect(verifyEnvelope(jws, RESPONSE_TYPE, [pinned])).rejects.toMatchObject({
      code: 'ERR_DELEGATION_TYPE_INVALID',
    })
  })

  it('refuses a signature by a key that is not pinned', async () => {
    const intruder = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const intruderKey = await importDelegationKey(await exportJWK(intruder.privateKey), 'sign', 'x')
    const jws = await signEnvelope({}, REQUEST_TYPE, intruderKey)
    await expect(verifyEnvelope(jws, REQUEST_TYPE, [pinned])).rejects.toMatchObject({
      code: 'ERR_DELEGATION_KEY_UNKNOWN',
    })
    // Claiming the pinned key's kid does not help: the signature is checked with the pinned key.
    const [, p, s] = jws.split('.')
    const lying = `${b64({ alg: 'EdDSA', kid: pinned.kid, typ: REQUEST_TYPE })}.${p}.${s}`
    await expect(verifyEnvelope(lying, REQUEST_TYPE, [pinned])).rejects.toMatchObject({
      code: 'ERR_DELEGATION_SIGNATURE_INVALID',
    })
  })
})

describe('hostile JWS headers', () => {
  it.each([
    ['jwk', { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['jku', { jku: 'https://attacker.example/jwks' }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['x5u', { x5u: 'https://attacker.example/cert' }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['x5c', { x5c: ['MIIB'] }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['unknown parameter', { foo: 1 }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['crit', { crit: ['exp'], exp: 1 }, 'ERR_DELEGATION_CRIT_UNSUPPORTED'],
    ['b64', { b64: false }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
  ])('refuses %s before any cryptography', async (_, extra, code) => {
    const jws = await jwsWith({ kid: signer.kid, typ: REQUEST_TYPE, ...extra })
    await expect(verifyEnvelope(jws, REQUEST_TYPE, [pinned])).rejects.toMatchObject({ code })
  })

  it('refuses alg "none" and HS256 (signed with the public key as secret)', async () => {
    const payload = b64({ a: 1 })
    const none = `${b64({ alg: 'none', kid: signer.kid, typ: REQUEST_TYPE })}.${payload}.`
    const secret = Buffer.from(pinned.publicJwk.x as string, 'base64url')
    const hsHeader = b64({ alg: 'HS256', kid: signer.kid, typ: REQUEST_TYPE })
    const mac = await crypto.subtle.sign(
      'HMAC',
      await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
      encoder.encode(`${hsHeader}.${payload}`),
    )
    const hs256 = `${hsHeader}.${payload}.${Buffer.from(mac).toString('base64url')}`
    for (const [jws, alg] of [
      [none, 'none'],
      [hs256, 'HS256'],
      [`${b64({ alg: 'NONE', kid: signer.kid, typ: REQUEST_TYPE })}.${payload}.`, 'NONE'],
    ]) {
      await expect(verifyEnvelope(jws as string, REQUEST_TYPE, [pinned]), alg).rejects.toMatchObject({
        code: 'ERR_DELEGATION_ALG_NOT_ALLOWED',
      })
    }
  })

  it('refuses messages that are not compact JWS / JWE', async () => {
    for (const bad of ['', 'a.b', 'a.b.c.d', '!!.e30.', 'e30.e30.e30.e30.e30.e30']) {
      await expect(verifyEnvelope(bad, REQUEST_TYPE, [pinned])).rejects.toMatchObject({
        code: 'ERR_DELEGATION_MALFORMED',
      })
      await expect(decryptEnvelope(bad, [recipientPrivate])).rejects.toMatchObject({
        code: 'ERR_DELEGATION_MALFORMED',
      })
    }
    expect(peekEnvelope('not a jws')).toBeUndefined()
  })
})

describe('hostile JWE', () => {
  async function jweWith(header: Record<string, unknown>): Promise<string> {
    return new CompactEncrypt(encoder.encode('a.b.c'))
      .setProtectedHeader({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
        kid: recipientPublic.kid,
        cty: 'JWT',
        ...header,
      })
      .encrypt(recipientPublic.key)
  }

  it.each([
    ['dir-style alg', { alg: 'ECDH-ES' }, 'ERR_DELEGATION_ALG_NOT_ALLOWED'],
    ['another enc', { enc: 'A128GCM' }, 'ERR_DELEGATION_ALG_NOT_ALLOWED'],
    ['jwk', { jwk: { kty: 'OKP' } }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['zip', { zip: 'DEF' }, 'ERR_DELEGATION_HEADER_FORBIDDEN'],
    ['crit', { crit: ['b64'] }, 'ERR_DELEGATION_CRIT_UNSUPPORTED'],
    ['no cty', { cty: undefined }, 'ERR_DELEGATION_MALFORMED'],
    ['unknown kid', { kid: 'nope' }, 'ERR_DELEGATION_KEY_UNKNOWN'],
  ])('refuses %s', async (_, header, code) => {
    // jose refuses to produce some of these; forge the header and keep the rest of a real JWE.
    const real = (await jweWith({})).split('.')
    const parsed = { ...JSON.parse(Buffer.from(real[0]!, 'base64url').toString()), ...header }
    const forged = [b64(parsed), ...real.slice(1)].join('.')
    await expect(decryptEnvelope(forged, [recipientPrivate])).rejects.toMatchObject({ code })
  })

  it.each([
    ['protected header', 0],
    ['encrypted key', 1],
    ['iv', 2],
    ['ciphertext', 3],
    ['tag', 4],
  ])('refuses any single bit flipped in the %s', async (_, segment) => {
    const jwe = await sealEnvelope({ a: 1 }, REQUEST_TYPE, signer, recipientPublic)
    const parts = jwe.split('.')
    const bytes = Buffer.from(parts[segment]!, 'base64url')
    // Every byte, one bit each (cycling through the 8 positions): flips in the decoded bytes, so
    // no flip can hide in base64url padding bits.
    for (let index = 0; index < bytes.length; index++) {
      const flipped = Buffer.from(bytes)
      flipped[index] = (flipped[index] as number) ^ (1 << (index % 8))
      const copy = [...parts]
      copy[segment] = flipped.toString('base64url')
      const error = await decryptEnvelope(copy.join('.'), [recipientPrivate]).then(
        () => undefined,
        (e: { code: string }) => e,
      )
      expect(error?.code, `byte ${index}`).toMatch(/^ERR_DELEGATION_/)
    }
  })
})
