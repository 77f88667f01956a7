import { describe, expect, it } from 'vitest'
import {
  base32Decode,
  base32Encode,
  generateTotp,
  generateTotpSecret,
  hotp,
  otpauthUri,
  type TotpAlgorithm,
  verifyTotp,
} from '../src/index.js'

const ascii = (text: string) => new TextEncoder().encode(text)
// RFC 6238 Appendix B: the seed of each hash is the ASCII string "1234567890" repeated to the hash size.
const SEEDS: Record<TotpAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
}

// RFC 6238 Appendix B, Table of test vectors (8 digits, X = 30, T0 = 0).
const RFC6238: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
]

describe('TOTP (RFC 6238)', () => {
  it.each(RFC6238)('T = %i: SHA1 %s, SHA256 %s, SHA512 %s', async (time, sha1, sha256, sha512) => {
    for (const [algorithm, expected] of [
      ['SHA1', sha1],
      ['SHA256', sha256],
      ['SHA512', sha512],
    ] as const) {
      await expect(generateTotp(SEEDS[algorithm], time, { algorithm, digits: 8 })).resolves.toBe(expected)
      await expect(
        verifyTotp(SEEDS[algorithm], expected, time, { algorithm, digits: 8, window: 0 }),
      ).resolves.toBe(Math.floor(time / 30))
    }
  })

  it('matches the RFC 4226 Appendix D HOTP values (6 digits, SHA1)', async () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ]
    const codes = await Promise.all(expected.map((_, counter) => hotp(SEEDS.SHA1, counter)))
    expect(codes).toEqual(expected)
  })

  it('accepts ±window steps and nothing further, and refuses malformed codes', async () => {
    const secret = SEEDS.SHA1
    const now = 1_700_000_000
    for (const [offset, accepted] of [
      [-60, false],
      [-30, true],
      [0, true],
      [30, true],
      [60, false],
    ] as const) {
      const code = await generateTotp(secret, now + offset)
      expect(await verifyTotp(secret, code, now, { window: 1 }), String(offset)).toBe(
        accepted ? Math.floor((now + offset) / 30) : undefined,
      )
    }
    const code = await generateTotp(secret, now)
    for (const bad of ['', code.slice(1), `${code}0`, ' '.repeat(6)]) {
      await expect(verifyTotp(secret, bad, now)).resolves.toBeUndefined()
    }
  })

  it('refuses invalid settings', async () => {
    await expect(hotp(SEEDS.SHA1, 0, { digits: 5 })).rejects.toThrow(TypeError)
    await expect(hotp(SEEDS.SHA1, -1)).rejects.toThrow(TypeError)
    await expect(hotp(SEEDS.SHA1, 0, { algorithm: 'MD5' as TotpAlgorithm })).rejects.toThrow(TypeError)
  })
})

describe('base32 and otpauth URIs', () => {
  it('round-trips RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ]
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(ascii(plain))).toBe(encoded)
      expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain)
      const padded = encoded.toLowerCase() + '='.repeat((8 - (encoded.length % 8)) % 8)
      expect(new TextDecoder().decode(base32Decode(padded))).toBe(plain)
    }
    expect(() => base32Decode('MZXW1')).toThrow(TypeError)
    const secret = generateTotpSecret('SHA512')
    expect(secret).toHaveLength(64)
    expect(base32Decode(base32Encode(secret))).toEqual(secret)
  })

  it('writes the Key Uri Format with an encoded label', () => {
    const uri = otpauthUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'ACME Co', account: 'john@example.com' })
    expect(uri).toBe(
      'otpauth://totp/ACME%20Co:john%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30',
    )
  })
})
