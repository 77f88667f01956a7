import { generateKeyPairSync } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { type DelegationKeyUse, importDelegationKey, importDelegationKeys } from '../src/delegation/index.js'

function nodePems(kind: 'ed25519' | 'x25519') {
  return generateKeyPairSync(kind as 'ed25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  })
}

describe('importDelegationKey', () => {
  it('accepts PKCS#8 / SPKI PEM (as node:crypto and OpenSSL write them) and JWK, with the same kid', async () => {
    const { privateKey, publicKey } = nodePems('ed25519')
    const fromPrivatePem = await importDelegationKey(privateKey, 'sign', 'spSigningKey')
    const fromPublicPem = await importDelegationKey(publicKey, 'verify', 'idpVerifyKey')
    const fromJwk = await importDelegationKey(fromPublicPem.publicJwk, 'verify', 'idpVerifyKey')
    const fromJson = await importDelegationKey(
      JSON.stringify(fromPublicPem.publicJwk),
      'verify',
      'idpVerifyKey',
    )
    const thumbprint = await calculateJwkThumbprint({
      kty: 'OKP',
      crv: 'Ed25519',
      x: fromPublicPem.publicJwk.x!,
    })
    for (const key of [fromPrivatePem, fromPublicPem, fromJwk, fromJson]) expect(key.kid).toBe(thumbprint)
    // Private keys are held non-extractable once their public half is known.
    expect(fromPrivatePem.key.extractable).toBe(false)
    expect(fromPrivatePem.key.type).toBe('private')
  })

  it('accepts PEM whose line breaks are literal "\\n" (an environment variable)', async () => {
    const { privateKey } = nodePems('x25519')
    const escaped = privateKey.trim().replace(/\n/g, '\\n')
    const key = await importDelegationKey(escaped, 'decrypt', 'spEncryptionKey')
    expect(key.key.algorithm.name).toBe('X25519')
  })

  it('accepts a private JWK', async () => {
    const { privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'X25519', extractable: true })
    const jwk = await exportJWK(privateKey)
    const key = await importDelegationKey(jwk, 'decrypt', 'spEncryptionKey')
    expect(key.publicJwk).toEqual({ kty: 'OKP', crv: 'X25519', x: jwk.x, kid: key.kid })
    expect(key.publicJwk).not.toHaveProperty('d')
  })

  const refusals: [string, DelegationKeyUse, () => unknown, string][] = [
    [
      'a public PEM where a private key is expected',
      'sign',
      () => nodePems('ed25519').publicKey,
      'ERR_INVALID_PRIVATE_KEY',
    ],
    [
      'a private PEM where a public key is expected',
      'verify',
      () => nodePems('ed25519').privateKey,
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'an X25519 key where Ed25519 is expected',
      'sign',
      () => nodePems('x25519').privateKey,
      'ERR_INVALID_PRIVATE_KEY',
    ],
    [
      'an Ed25519 key where X25519 is expected',
      'encrypt',
      () => nodePems('ed25519').publicKey,
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'a P-256 key',
      'verify',
      () =>
        generateKeyPairSync('ec', {
          namedCurve: 'P-256',
          publicKeyEncoding: { type: 'spki', format: 'pem' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        }).publicKey,
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'an RSA PKCS#1 PEM',
      'verify',
      () => '-----BEGIN RSA PUBLIC KEY-----\nMIIB\n-----END RSA PUBLIC KEY-----',
      'ERR_INVALID_PUBLIC_KEY',
    ],
    ['garbage', 'sign', () => 'not a key', 'ERR_INVALID_PRIVATE_KEY'],
    ['broken JSON', 'verify', () => '{"kty":', 'ERR_INVALID_PUBLIC_KEY'],
    [
      'a JWK of the wrong curve',
      'verify',
      () => ({ kty: 'OKP', crv: 'Ed448', x: 'AA' }),
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'a private JWK where a public key is expected',
      'encrypt',
      () => ({ kty: 'OKP', crv: 'X25519', x: 'AA', d: 'AA' }),
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'a truncated key',
      'verify',
      () => ({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }),
      'ERR_INVALID_PUBLIC_KEY',
    ],
  ]
  it.each(refusals)('refuses %s', async (_, use, make, code) => {
    const error = await importDelegationKey(make() as never, use, 'theOption').catch((e: Error) => e)
    expect(error).toMatchObject({ code })
    expect((error as Error).message).toContain('theOption')
  })

  it('never puts key material in its messages', async () => {
    const { privateKey } = nodePems('ed25519')
    const body = privateKey.split('\n')[1]!
    const error = (await importDelegationKey(privateKey, 'encrypt', 'idpEncryptionKey').catch(
      (e: Error) => e,
    )) as Error
    expect(error.message).not.toContain(body.slice(0, 20))
    expect(JSON.stringify(error)).not.toContain(body.slice(0, 20))
  })

  it('importDelegationKeys takes one key or a non-empty list', async () => {
    const a = await generateKeyPair('EdDSA', { extractable: true })
    const b = await generateKeyPair('EdDSA', { extractable: true })
    const keys = await importDelegationKeys(
      [await exportSPKI(a.publicKey), await exportJWK(b.publicKey)],
      'verify',
      'keys',
    )
    expect(keys).toHaveLength(2)
    expect(await importDelegationKeys(await exportSPKI(a.publicKey), 'verify', 'keys')).toHaveLength(1)
    await expect(importDelegationKeys([], 'verify', 'keys')).rejects.toMatchObject({
      code: 'ERR_INVALID_PUBLIC_KEY',
    })
    await expect(importDelegationKeys([await exportPKCS8(a.privateKey)], 'verify', 'keys')).rejects.toThrow(
      /keys\[0\]/,
    )
  })
})
