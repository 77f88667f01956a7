import { readFileSync } from 'node:fs'
import { CompactEncrypt, exportJWK, exportSPKI, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  decryptEnvelope,
  importDelegationKey,
  isUnsafeX25519,
  signEnvelope,
  verifyEnvelope,
} from '../src/delegation/index.js'

interface XdhVector {
  tcId: number
  comment: string
  flags: string[]
  public: string
  private: string
  shared: string
  result: 'valid' | 'acceptable' | 'invalid'
}
interface EddsaVector {
  tcId: number
  comment: string
  msg: string
  sig: string
  result: 'valid' | 'invalid'
}

const dir = new URL('./fixtures/wycheproof/', import.meta.url)
const x25519 = JSON.parse(readFileSync(new URL('x25519.json', dir), 'utf8')) as { tests: XdhVector[] }
const ed25519 = JSON.parse(readFileSync(new URL('ed25519.json', dir), 'utf8')) as {
  groups: { pk: string; tests: EddsaVector[] }[]
}

const hex = (value: string) => Uint8Array.from(Buffer.from(value, 'hex'))
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
// PKCS#8 for an X25519 private key: fixed prefix (RFC 8410 §7) + the 32-byte scalar.
const x25519Pkcs8 = (scalar: string) =>
  Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), hex(scalar)])
const lowOrder = x25519.tests.filter((t) => t.flags.includes('LowOrderPublic'))

async function spkiPem(kind: 'Ed25519' | 'X25519', raw: string): Promise<string> {
  const prefix = kind === 'Ed25519' ? '302a300506032b6570032100' : '302a300506032b656e032100'
  const der = Buffer.concat([Buffer.from(prefix, 'hex'), hex(raw)]).toString('base64')
  return `-----BEGIN PUBLIC KEY-----\n${der}\n-----END PUBLIC KEY-----`
}

describe('Wycheproof X25519 vectors', () => {
  it('covers every low-order encoding (tcIds 32, 33, 63–86)', () => {
    expect(lowOrder.map((t) => t.tcId)).toEqual([32, 33, ...Array.from({ length: 24 }, (_, i) => 63 + i)])
  })

  it('tcId 1: the X25519 primitive computes the expected shared secret', async () => {
    const [vector] = x25519.tests
    const privateKey = await crypto.subtle.importKey(
      'pkcs8',
      x25519Pkcs8(vector!.private),
      { name: 'X25519' },
      false,
      ['deriveBits'],
    )
    const publicKey = await crypto.subtle.importKey('raw', hex(vector!.public), { name: 'X25519' }, false, [])
    const shared = await crypto.subtle.deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256)
    expect(Buffer.from(shared).toString('hex')).toBe(vector!.shared)
    expect(isUnsafeX25519(b64u(hex(vector!.public)))).toBe(false)
  })

  it.each(lowOrder.map((t) => [t.tcId, t] as const))(
    'tcId %i: the primitive never yields the all-zero secret',
    async (_, vector) => {
      const privateKey = await crypto.subtle.importKey(
        'pkcs8',
        x25519Pkcs8(vector.private),
        { name: 'X25519' },
        false,
        ['deriveBits'],
      )
      const publicKey = await crypto.subtle.importKey(
        'raw',
        hex(vector.public),
        { name: 'X25519' },
        false,
        [],
      )
      // RFC 7748 §6.1: an implementation may refuse, or return zeros for the caller to check.
      const derived = await crypto.subtle
        .deriveBits({ name: 'X25519', public: publicKey }, privateKey, 256)
        .then((bits) => Buffer.from(bits).toString('hex'))
        .catch(() => 'refused')
      expect(['refused', vector.shared]).toContain(derived)
    },
  )

  it.each(lowOrder.map((t) => [t.tcId, t] as const))(
    'tcId %i: refused as a JWE "epk" and as a configured key',
    async (_, vector) => {
      const recipient = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
      const key = await importDelegationKey(await exportJWK(recipient.privateKey), 'decrypt', 'key')
      const jwe = await new CompactEncrypt(new TextEncoder().encode('x.y.z'))
        .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: key.kid, cty: 'JWT' })
        .encrypt(recipient.publicKey)
      const [header, ...rest] = jwe.split('.')
      const parsed = JSON.parse(Buffer.from(header!, 'base64url').toString())
      parsed.epk.x = b64u(hex(vector.public))
      const forged = [Buffer.from(JSON.stringify(parsed)).toString('base64url'), ...rest].join('.')
      await expect(decryptEnvelope(forged, [key])).rejects.toMatchObject({
        code: 'ERR_DELEGATION_EPK_INVALID',
      })
      await expect(
        importDelegationKey(
          { kty: 'OKP', crv: 'X25519', x: b64u(hex(vector.public)) },
          'encrypt',
          'idpEncryptionKey',
        ),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_PUBLIC_KEY' })
    },
  )
})

describe('Wycheproof Ed25519 vectors', () => {
  const cases = ed25519.groups.flatMap((group) =>
    group.tests.map((t) => [t.tcId, t.comment || 'valid', group.pk, t] as const),
  )

  it.each(cases)('tcId %i (%s): verification through the imported pinned key', async (_, __, pk, vector) => {
    const pinned = await importDelegationKey(await spkiPem('Ed25519', pk), 'verify', 'idpVerifyKey')
    const valid = await crypto.subtle.verify('Ed25519', pinned.key, hex(vector.sig), hex(vector.msg))
    expect(valid).toBe(vector.result === 'valid')
  })

  it('a real message signature made malleable (S + L, negated R) is refused by the protocol', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
    const signer = await importDelegationKey(await exportJWK(privateKey), 'sign', 'key')
    const pinned = await importDelegationKey(await exportSPKI(publicKey), 'verify', 'key')
    const jws = await signEnvelope({ hello: 'world' }, 'delegation-request+jwt', signer)
    const [h, p, s] = jws.split('.') as [string, string, string]
    const signature = Buffer.from(s, 'base64url')
    // S is little-endian in the last 32 bytes; S + L stays below 2^256 because S < L < 2^253.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n
    const sValue = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`)
    const sPlusL = Buffer.from((sValue + L).toString(16).padStart(64, '0'), 'hex').reverse()
    const malleable = Buffer.concat([signature.subarray(0, 32), sPlusL])
    const negatedR = Buffer.from(signature)
    negatedR[31] = (negatedR[31] as number) ^ 0x80
    await expect(verifyEnvelope(jws, 'delegation-request+jwt', [pinned])).resolves.toEqual({ hello: 'world' })
    for (const forged of [malleable, negatedR]) {
      await expect(
        verifyEnvelope(`${h}.${p}.${forged.toString('base64url')}`, 'delegation-request+jwt', [pinned]),
      ).rejects.toMatchObject({ code: 'ERR_DELEGATION_SIGNATURE_INVALID' })
    }
  })
})
