import { fakeClock } from '@org/test-kit/store-contracts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type CreateClientInput, createClientRegistry, createMemoryClientStore } from '../src/index.js'
import { nativeCrypto } from '../src/native-crypto.js'

const machine: CreateClientInput = {
  name: 'Billing worker',
  clientType: 'confidential',
  grantTypes: ['client_credentials'],
  audiences: ['https://api.example.com/'],
}

function setup(cacheSeconds: number) {
  const clock = fakeClock(1_800_000_000_000)
  const store = createMemoryClientStore({ now: clock.now })
  // Two registries on one store: this instance (cached) and another one (the CLI, say).
  const registry = createClientRegistry({ store, now: clock.now, cacheSeconds })
  const elsewhere = createClientRegistry({ store, now: clock.now })
  const reads = vi.spyOn(store, 'getWithSecrets')
  return { clock, store, registry, elsewhere, reads }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('client registry cache (cacheSeconds)', () => {
  it('reads a client once per period for authentication, and never caches an unknown id', async () => {
    const { registry, reads, clock } = setup(10)
    const { clientId, clientSecret } = await registry.create(machine)
    for (let i = 0; i < 5; i++)
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
    await expect(registry.verifySecret(clientId, 'wrong')).resolves.toBeUndefined()
    expect(reads).toHaveBeenCalledTimes(1)
    await clock.advance(10_001)
    await registry.verifySecret(clientId, clientSecret as string)
    expect(reads).toHaveBeenCalledTimes(2)
    reads.mockClear()
    for (let i = 0; i < 3; i++) await registry.verifySecret('oac_unknown', 'x')
    expect(reads).toHaveBeenCalledTimes(3)
  })

  it('applies changes made through the same registry at once', async () => {
    const { registry } = setup(300)
    const { clientId, clientSecret } = await registry.create(machine)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
    await registry.disable(clientId)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
    await registry.enable(clientId)
    const { clientSecret: next } = await registry.rotateSecret({ clientId })
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
    await expect(registry.verifySecret(clientId, next)).resolves.toBeDefined()
  })

  it('sees a change made elsewhere within the period, not sooner', async () => {
    const { registry, elsewhere, clock } = setup(5)
    const { clientId, clientSecret } = await registry.create(machine)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
    await elsewhere.disable(clientId)
    // The documented trade-off: still accepted here until the cached read expires.
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
    await clock.advance(5_001)
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
  })

  it('caches private_key_jwt clients for assertionClient the same way', async () => {
    const { registry, elsewhere, reads, clock } = setup(5)
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }
    const { clientId } = await registry.create({
      ...machine,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    })
    await expect(registry.assertionClient(clientId)).resolves.toMatchObject({ clientId })
    await elsewhere.disable(clientId)
    await expect(registry.assertionClient(clientId)).resolves.toMatchObject({ clientId })
    expect(reads).toHaveBeenCalledTimes(1)
    await clock.advance(5_001)
    await expect(registry.assertionClient(clientId)).resolves.toBeUndefined()
  })

  it('refuses a cache period or size out of range', () => {
    const store = createMemoryClientStore()
    for (const cacheSeconds of [-1, 1.5, 301, Number.NaN])
      expect(() => createClientRegistry({ store, cacheSeconds })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      )
    expect(() => createClientRegistry({ store, cacheSeconds: 5, cacheEntries: 0.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    )
  })
})

describe('client registry cache under concurrency', () => {
  it('never caches a read that was in flight when a change was made here (review finding)', async () => {
    const clock = fakeClock(1_800_000_000_000)
    const store = createMemoryClientStore({ now: clock.now })
    const registry = createClientRegistry({ store, now: clock.now, cacheSeconds: 300 })
    const { clientId, clientSecret } = await registry.create(machine)
    // The next authentication read is held until the disable has been made.
    const original = store.getWithSecrets.bind(store)
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const spy = vi.spyOn(store, 'getWithSecrets').mockImplementationOnce(async (id) => {
      const stored = await original(id)
      await held
      return stored
    })
    const inFlight = registry.verifySecret(clientId, clientSecret as string)
    await registry.disable(clientId)
    release()
    await inFlight // read before the disable: it may answer with what it read, but must not cache it
    spy.mockRestore()
    await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
  })

  describe.skipIf(nativeCrypto() === null)('remembering verified secrets (node:crypto runtimes)', () => {
    function hmacs() {
      return vi.spyOn(nativeCrypto() as NonNullable<ReturnType<typeof nativeCrypto>>, 'createHmac')
    }

    it('skips both HMACs for a secret already verified against the cached record, never for a wrong one', async () => {
      const { registry, clock } = setup(10)
      const { clientId, clientSecret } = await registry.create(machine)
      const hmac = hmacs()
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
      expect(hmac).toHaveBeenCalledTimes(2)
      hmac.mockClear()
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
      expect(hmac).not.toHaveBeenCalled()
      // A wrong secret, even after a success, is verified in full every time.
      for (let i = 0; i < 3; i++)
        await expect(registry.verifySecret(clientId, `${clientSecret}x`)).resolves.toBeUndefined()
      expect(hmac).toHaveBeenCalledTimes(6)
      // A fresh read of the record (the cache period ended) starts with nothing remembered.
      await clock.advance(10_001)
      hmac.mockClear()
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
      expect(hmac).toHaveBeenCalledTimes(2)
    })

    it('forgets with the record: a rotation or a disable through the registry applies at once', async () => {
      const { registry } = setup(300)
      const { clientId, clientSecret } = await registry.create(machine)
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeDefined()
      const { clientSecret: next } = await registry.rotateSecret({ clientId })
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toBeUndefined()
      await expect(registry.verifySecret(clientId, next)).resolves.toBeDefined()
      await expect(registry.verifySecret(clientId, next)).resolves.toBeDefined()
      await registry.disable(clientId)
      await expect(registry.verifySecret(clientId, next)).resolves.toBeUndefined()
    })

    it('remembers nothing without the cache (cacheSeconds 0): every check is the full work', async () => {
      const { registry } = setup(0)
      const { clientId, clientSecret } = await registry.create(machine)
      const hmac = hmacs()
      for (let i = 0; i < 3; i++) await registry.verifySecret(clientId, clientSecret as string)
      expect(hmac).toHaveBeenCalledTimes(6)
    })
  })
})
