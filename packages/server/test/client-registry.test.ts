/** The client registry over the memory store: secrets shown once, hashed, verified alike on every path. */
import { fakeClock } from '@org/test-kit/store-contracts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type ClientStore,
  type CreateClientInput,
  createClientRegistry,
  createMemoryClientStore,
  SECRET_PREFIX,
} from '../src/index.js'
import { nativeCrypto } from '../src/native-crypto.js'

const machine: CreateClientInput = {
  name: 'Billing worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  scopes: ['invoices:read'],
  audiences: ['https://api.example.com/'],
  owner: 'team-billing',
}

function setup() {
  const clock = fakeClock(1_800_000_000_000)
  const store = createMemoryClientStore({ now: clock.now })
  const registry = createClientRegistry({ store, now: clock.now })
  return { clock, store, registry }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('create, show, list', () => {
  it('returns a generated, prefixed 256-bit secret once and stores only its salted HMAC', async () => {
    const { store, registry } = setup()
    const created = await registry.create(machine)
    expect(created.clientId).toMatch(/^oac_[A-Za-z0-9_-]{22}$/)
    expect(created.clientSecret).toMatch(new RegExp(`^${SECRET_PREFIX}[A-Za-z0-9_-]{43}$`))
    const secret = created.clientSecret as string
    const stored = await store.getWithSecrets(created.clientId)
    expect(stored?.secretHash).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
    expect(stored?.secretHash).not.toContain(secret.slice(4))
    // Same secret, another record: another salt, another digest.
    const other = await createClientRegistry({ store: createMemoryClientStore() }).create(machine)
    expect(other.clientSecret).not.toBe(secret)
    expect(created.client).toEqual({
      ...machine,
      clientId: created.clientId,
      redirectUris: [],
      tokenEndpointAuthMethod: 'client_secret_basic',
      jwks: null,
      disabled: false,
      createdAt: 1_800_000_000,
      updatedAt: 1_800_000_000,
      revision: 1,
    })
    const shown = await registry.show(created.clientId)
    const listed = await registry.list()
    expect(shown).toEqual(created.client)
    expect(listed).toEqual([created.client])
    const text = JSON.stringify([shown, listed])
    expect(text).not.toContain(secret)
    // No hash and no member named like a secret (the method's value "client_secret_basic" is fine).
    expect(text).not.toMatch(/hmac|"\w*secret\w*":/i)
    await expect(registry.list({ owner: 'team-billing' })).resolves.toHaveLength(1)
    await expect(registry.list({ owner: 'someone-else' })).resolves.toEqual([])
  })

  it('gives a public client no secret, and nothing verifies it', async () => {
    const { store, registry } = setup()
    const created = await registry.create({
      name: 'CLI',
      clientType: 'public',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['http://127.0.0.1:8765/callback'],
    })
    expect(created).not.toHaveProperty('clientSecret')
    await expect(store.getWithSecrets(created.clientId)).resolves.toMatchObject({ secretHash: null })
    await expect(registry.verifySecret(created.clientId, '')).resolves.toBeUndefined()
    await expect(registry.rotateSecret({ clientId: created.clientId })).rejects.toMatchObject({
      code: 'ERR_CLIENT_PUBLIC',
    })
  })

  it('refuses a client beyond the memory store bound, storing nothing', async () => {
    const registry = createClientRegistry({ store: createMemoryClientStore({ maxClients: 1 }) })
    await registry.create(machine)
    await expect(registry.create(machine)).rejects.toMatchObject({
      code: 'ERR_CLIENT_STORE_FULL',
      status: 503,
    })
    await expect(registry.list()).resolves.toHaveLength(1)
  })

  it('answers ERR_CLIENT_NOT_FOUND (404) for an unknown client', async () => {
    const { registry } = setup()
    for (const call of [
      registry.show('oac_nobody'),
      registry.update('oac_nobody', { name: 'x' }),
      registry.disable('oac_nobody'),
      registry.rotateSecret({ clientId: 'oac_nobody' }),
    ]) {
      await expect(call).rejects.toMatchObject({ code: 'ERR_CLIENT_NOT_FOUND', status: 404 })
    }
  })
})

describe('verifySecret', () => {
  it('accepts the secret of an enabled client, returning the client', async () => {
    const { registry } = setup()
    const { clientId, clientSecret } = await registry.create(machine)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toMatchObject({
      clientId,
      scopes: ['invoices:read'],
    })
  })

  it('does the same work for an unknown client, a disabled one, a wrong and an oversized secret', async () => {
    const { registry, store } = setup()
    const { clientId, clientSecret } = await registry.create(machine)
    const disabled = await registry.create(machine)
    await registry.disable(disabled.clientId)
    const reads = vi.spyOn(store, 'getWithSecrets')
    // The HMACs run on the lent node:crypto where there is one (native-crypto.ts), else Web Crypto.
    const native = nativeCrypto()
    const sign = native === null ? vi.spyOn(crypto.subtle, 'sign') : vi.spyOn(native, 'createHmac')
    const work = async (id: string, secret: string) => {
      sign.mockClear()
      reads.mockClear()
      const result = await registry.verifySecret(id, secret)
      return { result, hmacs: sign.mock.calls.length, reads: reads.mock.calls.length }
    }
    const right = await work(clientId, clientSecret as string)
    expect(right).toMatchObject({ hmacs: 2, reads: 1 })
    expect(right.result).toBeDefined()
    const refused = [
      await work('oac_unknownunknownunknow', clientSecret as string),
      await work(disabled.clientId, disabled.clientSecret as string),
      await work(clientId, `${clientSecret}x`),
      await work(clientId, ''),
      await work(clientId, 'x'.repeat(10_000)),
      await work("'; DROP TABLE clients; --", 'x'),
    ]
    for (const attempt of refused) expect(attempt).toEqual({ result: undefined, hmacs: 2, reads: 1 })
  })

  it('hashes against a decoy when there is no usable hash: never a match', async () => {
    const { client } = await setup().registry.create(machine)
    const clientId = client.clientId
    // A hash in a format this release does not read (a newer algorithm, or damage) matches nothing.
    const odd: ClientStore = createMemoryClientStore()
    await odd.insert(client, 'argon2id$whatever$whatever')
    await expect(
      createClientRegistry({ store: odd }).verifySecret(clientId, 'argon2id'),
    ).resolves.toBeUndefined()
    await odd.insert({ ...client, clientId: 'c2' }, 'hmac-sha256$!!!$???')
    await expect(createClientRegistry({ store: odd }).verifySecret('c2', '')).resolves.toBeUndefined()
  })
})

describe('rotateSecret', () => {
  it('keeps the old secret for the grace period (store clock), then only the new one', async () => {
    const { clock, registry } = setup()
    const { clientId, clientSecret: first } = await registry.create(machine)
    const { clientSecret: second } = await registry.rotateSecret({ clientId, gracePeriodSeconds: 600 })
    expect(second).not.toBe(first)
    expect(second.startsWith(SECRET_PREFIX)).toBe(true)
    await expect(registry.verifySecret(clientId, first as string)).resolves.toBeDefined()
    await expect(registry.verifySecret(clientId, second)).resolves.toBeDefined()
    await clock.advance(599_000)
    await expect(registry.verifySecret(clientId, first as string)).resolves.toBeDefined()
    await clock.advance(1_000)
    await expect(registry.verifySecret(clientId, first as string)).resolves.toBeUndefined()
    await expect(registry.verifySecret(clientId, second)).resolves.toBeDefined()
    // Without a grace period the old secret stops at once.
    const { clientSecret: third } = await registry.rotateSecret({ clientId })
    await expect(registry.verifySecret(clientId, second)).resolves.toBeUndefined()
    await expect(registry.verifySecret(clientId, third)).resolves.toBeDefined()
  })

  it('lets one of rotations that read the same secret win; the others fail with ERR_CLIENT_CONFLICT', async () => {
    const { registry, store } = setup()
    const { clientId, clientSecret } = await registry.create(machine)
    // Every rotation reads before any writes: the store holds the compare-and-set back a moment.
    const rotate = store.rotateSecret
    store.rotateSecret = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return rotate(...args)
    }
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => registry.rotateSecret({ clientId, gracePeriodSeconds: 60 })),
    )
    const won = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value.clientSecret] : [],
    )
    expect(won).toHaveLength(1)
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toMatchObject({ code: 'ERR_CLIENT_CONFLICT', status: 409 })
      }
    }
    await expect(registry.verifySecret(clientId, won[0] as string)).resolves.toBeDefined()
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
  })

  it('refuses a disabled client and a bad grace period', async () => {
    const { registry } = setup()
    const { clientId } = await registry.create(machine)
    for (const gracePeriodSeconds of [-1, 1.5, Number.NaN, 31 * 24 * 3600]) {
      await expect(registry.rotateSecret({ clientId, gracePeriodSeconds })).rejects.toMatchObject({
        code: 'ERR_CLIENT_GRACE_PERIOD',
      })
    }
    await registry.disable(clientId)
    await expect(registry.rotateSecret({ clientId })).rejects.toMatchObject({ code: 'ERR_CLIENT_DISABLED' })
  })
})

describe('update, disable, enable', () => {
  it('changes the record (not the secret), bumps revision and updatedAt, and re-checks combinations', async () => {
    const { clock, registry } = setup()
    const { clientId, clientSecret } = await registry.create(machine)
    await clock.advance(5_000)
    const updated = await registry.update(clientId, { name: 'Renamed', scopes: ['a', 'b'], owner: null })
    expect(updated).toMatchObject({ name: 'Renamed', scopes: ['a', 'b'], owner: null, revision: 2 })
    expect(updated.updatedAt).toBe(1_800_000_005)
    await expect(registry.show(clientId)).resolves.toEqual(updated)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
    await expect(registry.update(clientId, { grantTypes: ['authorization_code'] })).rejects.toMatchObject({
      code: 'ERR_CLIENT_REDIRECT_URI',
    })
    await expect(registry.update(clientId, { clientType: 'public' } as never)).rejects.toMatchObject({
      code: 'ERR_CLIENT_TYPE',
    })
    await expect(registry.show(clientId)).resolves.toEqual(updated)
  })

  it('refuses the secret of a disabled client until it is enabled again', async () => {
    const { registry } = setup()
    const { clientId, clientSecret } = await registry.create(machine)
    await expect(registry.disable(clientId)).resolves.toMatchObject({ disabled: true, revision: 2 })
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
    await expect(registry.enable(clientId)).resolves.toMatchObject({ disabled: false, revision: 3 })
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
  })

  it('applies concurrent updates one after another, none lost', async () => {
    const { registry } = setup()
    const { clientId } = await registry.create(machine)
    await Promise.all([registry.update(clientId, { name: 'Renamed' }), registry.disable(clientId)])
    await expect(registry.show(clientId)).resolves.toMatchObject({
      name: 'Renamed',
      disabled: true,
      revision: 3,
    })
  })
})

describe('validation', () => {
  const cases: [string, Partial<CreateClientInput> & Record<string, unknown>, string][] = [
    ['empty name', { name: '' }, 'ERR_CLIENT_NAME'],
    ['long name', { name: 'x'.repeat(201) }, 'ERR_CLIENT_NAME'],
    ['padded name', { name: ' x' }, 'ERR_CLIENT_NAME'],
    ['control character in name', { name: 'a\u0000b' }, 'ERR_CLIENT_NAME'],
    ['lone surrogate in name', { name: 'a\uD800' }, 'ERR_CLIENT_NAME'],
    ['unknown type', { clientType: 'secret' as never }, 'ERR_CLIENT_TYPE'],
    ['no grant type', { grantTypes: [] }, 'ERR_CLIENT_GRANT_TYPE'],
    ['unknown grant type', { grantTypes: ['implicit' as never] }, 'ERR_CLIENT_GRANT_TYPE'],
    [
      'duplicate grant type',
      { grantTypes: ['client_credentials', 'client_credentials'] },
      'ERR_CLIENT_GRANT_TYPE',
    ],
    ['public client_credentials', { clientType: 'public' }, 'ERR_CLIENT_GRANT_TYPE'],
    ['scope with a space', { scopes: ['a b'] }, 'ERR_CLIENT_SCOPE'],
    ['scope with a quote', { scopes: ['a"b'] }, 'ERR_CLIENT_SCOPE'],
    ['scope with a backslash', { scopes: ['a\\b'] }, 'ERR_CLIENT_SCOPE'],
    ['non-ASCII scope', { scopes: ['é'] }, 'ERR_CLIENT_SCOPE'],
    ['empty scope', { scopes: [''] }, 'ERR_CLIENT_SCOPE'],
    ['relative audience', { audiences: ['/api'] }, 'ERR_CLIENT_AUDIENCE'],
    ['audience with a fragment', { audiences: ['https://api.example.com/#x'] }, 'ERR_CLIENT_AUDIENCE'],
    ['http redirect', { redirectUris: ['http://app.example.com/cb'] }, 'ERR_CLIENT_REDIRECT_URI'],
    [
      'redirect with a fragment',
      { redirectUris: ['https://app.example.com/cb#x'] },
      'ERR_CLIENT_REDIRECT_URI',
    ],
    ['relative redirect', { redirectUris: ['/cb'] }, 'ERR_CLIENT_REDIRECT_URI'],
    ['redirect with spaces', { redirectUris: [' https://app.example.com/cb'] }, 'ERR_CLIENT_REDIRECT_URI'],
    [
      'redirect with credentials',
      { redirectUris: ['https://u:p@app.example.com/cb'] },
      'ERR_CLIENT_REDIRECT_URI',
    ],
    ['javascript redirect', { redirectUris: ['javascript:alert(1)'] }, 'ERR_CLIENT_REDIRECT_URI'],
    ['code without redirect', { grantTypes: ['authorization_code'] }, 'ERR_CLIENT_REDIRECT_URI'],
    ['empty owner', { owner: '' }, 'ERR_CLIENT_OWNER'],
    ['too many scopes', { scopes: Array.from({ length: 101 }, (_, i) => `s${i}`) }, 'ERR_CLIENT_SCOPE'],
  ]
  it.each(cases)('refuses %s with a stable code and stores nothing', async (_, change, code) => {
    const { registry } = setup()
    const error = await registry
      .create({ ...machine, ...change } as CreateClientInput)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ClientRegistryError', code, status: 400 })
    await expect(registry.list()).resolves.toEqual([])
  })

  it('accepts https and loopback http redirects', async () => {
    const { registry } = setup()
    const { client } = await registry.create({
      ...machine,
      grantTypes: ['authorization_code', 'client_credentials'],
      redirectUris: [
        'https://app.example.com/cb?x=1',
        'http://127.0.0.1:9000/cb',
        'http://[::1]/cb',
        'http://localhost/cb',
      ],
    })
    expect(client.redirectUris).toHaveLength(4)
  })
})
