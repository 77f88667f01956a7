/**
 * The client registry's private_key_jwt clients: `tokenEndpointAuthMethod` defaults and rules,
 * `jwks` validation (public asymmetric signing keys only, bounded), no secret, key rotation by
 * `update`, and records written before these fields existed.
 */
import { generateKeyPairSync } from 'node:crypto'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  type ClientRecord,
  type ClientStore,
  type CreateClientInput,
  createClientRegistry,
  createMemoryClientStore,
} from '../src/index.js'

const machine: CreateClientInput = {
  name: 'Signing worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['invoices:read'],
}

async function keyPair(alg: string, options: { crv?: string } = {}) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...options })
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) }
}

const registry = () => createClientRegistry({ store: createMemoryClientStore() })

const refusedWith = (code: string) => expect.objectContaining({ code, status: 400 })

describe('tokenEndpointAuthMethod', () => {
  it('defaults to client_secret_basic for confidential and none for public clients', async () => {
    const clients = registry()
    const confidential = await clients.create(machine)
    expect(confidential.client).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', jwks: null })
    expect(confidential.clientSecret).toMatch(/^oas_/)
    const spa = await clients.create({
      name: 'SPA',
      clientType: 'public',
      grantTypes: ['authorization_code'],
      redirectUris: ['https://app.example.com/cb'],
    })
    expect(spa.client).toMatchObject({ tokenEndpointAuthMethod: 'none', jwks: null })
    expect(spa.clientSecret).toBeUndefined()
  })

  it('refuses unknown methods and methods that contradict the client type', async () => {
    const clients = registry()
    for (const [input, code] of [
      [{ ...machine, tokenEndpointAuthMethod: 'client_secret_jwt' }, 'ERR_CLIENT_AUTH_METHOD'],
      [{ ...machine, tokenEndpointAuthMethod: 'none' }, 'ERR_CLIENT_AUTH_METHOD'],
      [
        {
          name: 'SPA',
          clientType: 'public',
          grantTypes: ['refresh_token'],
          tokenEndpointAuthMethod: 'client_secret_post',
        },
        'ERR_CLIENT_AUTH_METHOD',
      ],
      [{ ...machine, tokenEndpointAuthMethod: 'private_key_jwt' }, 'ERR_CLIENT_JWKS'],
    ] as const) {
      await expect(clients.create(input as CreateClientInput)).rejects.toEqual(refusedWith(code))
    }
    const { publicJwk } = await keyPair('ES256')
    await expect(clients.create({ ...machine, jwks: { keys: [publicJwk] } })).rejects.toEqual(
      refusedWith('ERR_CLIENT_JWKS'),
    )
    expect(await clients.list()).toEqual([])
  })

  it('gives a private_key_jwt client no secret, refuses rotating one, and rotates keys by update', async () => {
    const clients = registry()
    const first = await keyPair('EdDSA')
    const created = await clients.create({
      ...machine,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [{ ...first.publicJwk, kid: 'k1', use: 'sig', x5c: ['ignored'] }] },
    })
    expect(created.clientSecret).toBeUndefined()
    expect('clientSecret' in created).toBe(false)
    // Stored as the members a verifier needs, without baggage.
    expect(created.client.jwks).toEqual({ keys: [{ ...first.publicJwk, kid: 'k1', use: 'sig' }] })
    await expect(clients.rotateSecret({ clientId: created.clientId })).rejects.toEqual(
      refusedWith('ERR_CLIENT_AUTH_METHOD'),
    )
    expect(await clients.verifySecret(created.clientId, '')).toBeUndefined()
    expect(await clients.assertionClient(created.clientId)).toEqual(created.client)

    const second = await keyPair('ES256')
    const rotated = await clients.update(created.clientId, {
      jwks: {
        keys: [
          { ...first.publicJwk, kid: 'k1' },
          { ...second.publicJwk, kid: 'k2' },
        ],
      },
    })
    expect(rotated.jwks?.keys.map((key) => key.kid)).toEqual(['k1', 'k2'])
    expect(rotated.revision).toBe(2)
    // The method is fixed: no switch to a secret, no jwks removal.
    await expect(
      clients.update(created.clientId, { tokenEndpointAuthMethod: 'client_secret_basic' }),
    ).rejects.toEqual(refusedWith('ERR_CLIENT_AUTH_METHOD'))
    await clients.disable(created.clientId)
    expect(await clients.assertionClient(created.clientId)).toBeUndefined()
  })

  it('lets a secret client switch between basic and post, never to private_key_jwt or gain jwks', async () => {
    const clients = registry()
    const { clientId } = await clients.create(machine)
    expect(await clients.update(clientId, { tokenEndpointAuthMethod: 'client_secret_post' })).toMatchObject({
      tokenEndpointAuthMethod: 'client_secret_post',
    })
    await expect(clients.update(clientId, { tokenEndpointAuthMethod: 'private_key_jwt' })).rejects.toEqual(
      refusedWith('ERR_CLIENT_AUTH_METHOD'),
    )
    const { publicJwk } = await keyPair('ES256')
    await expect(clients.update(clientId, { jwks: { keys: [publicJwk] } })).rejects.toEqual(
      refusedWith('ERR_CLIENT_JWKS'),
    )
    expect(await clients.assertionClient(clientId)).toBeUndefined()
  })

  it('reads records stored before the fields existed as secret (or public) clients', async () => {
    const store = createMemoryClientStore()
    const legacy = {
      clientId: 'oac_legacylegacylegacyleg',
      name: 'Old worker',
      clientType: 'confidential',
      grantTypes: ['client_credentials'],
      scopes: [],
      audiences: [],
      redirectUris: [],
      owner: null,
      disabled: false,
      createdAt: 1,
      updatedAt: 1,
      revision: 1,
    } as unknown as ClientRecord
    await (store as ClientStore).insert(legacy, null)
    const clients = createClientRegistry({ store })
    expect(await clients.show(legacy.clientId)).toMatchObject({
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
    })
    expect((await clients.list())[0]).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic' })
    expect(await clients.update(legacy.clientId, { name: 'Renamed' })).toMatchObject({
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
      revision: 2,
    })
  })
})

describe('jwks validation', () => {
  const create = (jwks: unknown) =>
    registry().create({ ...machine, tokenEndpointAuthMethod: 'private_key_jwt', jwks: jwks as { keys: [] } })

  it('accepts RSA (2048+), EC P-256/P-384/P-521 and Ed25519 public keys', async () => {
    for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
      const { publicJwk } = await keyPair(alg)
      const created = await create({ keys: [{ ...publicJwk, alg }] })
      expect(created.client.jwks?.keys[0]).toMatchObject({ kty: publicJwk.kty, alg })
    }
  })

  it('refuses private keys, symmetric keys and every private member', async () => {
    const rsa = await keyPair('RS256')
    const ec = await keyPair('ES256')
    const ed = await keyPair('EdDSA')
    const privates: JWK[] = [rsa.privateJwk, ec.privateJwk, ed.privateJwk]
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) {
      privates.push({ ...ec.publicJwk, [member]: 'AQAB' })
    }
    privates.push({ kty: 'oct', k: 'c2VjcmV0' }, { kty: 'oct' })
    for (const key of privates) {
      await expect(create({ keys: [key] })).rejects.toEqual(refusedWith('ERR_CLIENT_JWKS'))
    }
  })

  it('refuses unusable keys', async () => {
    const ec = (await keyPair('ES256')).publicJwk
    const ed = (await keyPair('EdDSA')).publicJwk
    const x25519 = (await keyPair('ECDH-ES', { crv: 'X25519' })).publicJwk
    // jose will not generate a short RSA key; Node will.
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })
    const cases: unknown[] = [
      null,
      [],
      { keys: 'nope' },
      { keys: [] },
      { keys: ['string'] },
      { keys: [{ ...ec, kty: 'XYZ' }] },
      { keys: [{ ...ec, kty: undefined }] },
      { keys: [{ ...ec, crv: 'P-192' }] },
      { keys: [{ ...ec, x: `${ec.x}A` }] }, // not on the curve / wrong length
      { keys: [{ ...ec, x: 'not base64url!' }] },
      { keys: [{ ...ec, alg: 'HS256' }] },
      { keys: [{ ...ec, alg: 'none' }] },
      { keys: [{ ...ec, alg: 'RS256' }] }, // alg of another key type
      { keys: [{ ...ec, use: 'enc' }] },
      { keys: [{ ...ec, key_ops: ['sign'] }] },
      { keys: [{ ...ec, kid: '' }] },
      { keys: [{ ...ec, kid: 'a\u0000b' }] },
      { keys: [{ ...ec, kid: 'x'.repeat(257) }] },
      {
        keys: [
          { ...ec, kid: 'same' },
          { ...ed, kid: 'same' },
        ],
      },
      { keys: [x25519] }, // an ECDH key, not a signing one
      { keys: [small] },
      { keys: Array.from({ length: 11 }, (_, i) => ({ ...ec, kid: `k${i}` })) },
      { keys: [{ ...ec, kid: 'x'.repeat(200) }], padding: 'y'.repeat(20_000) },
    ]
    for (const jwks of cases) {
      await expect(create(jwks), JSON.stringify(jwks)?.slice(0, 80)).rejects.toEqual(
        refusedWith('ERR_CLIENT_JWKS'),
      )
    }
  })
})
