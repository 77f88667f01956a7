import { AuthError } from '@org/auth-core'
import { DelegationClient } from '@org/auth-core/delegation'
import { describe, expect, it, vi } from 'vitest'
import {
  createDelegationService,
  createMemoryDelegationStore,
  createMemoryReplayStore,
  type DelegationServiceOptions,
  DelegationStoreFullError,
  type MfaChangeSessionRecord,
} from '../src/index.js'
import { partyKeys } from './helpers/harness.js'

const sp = await partyKeys()
const idp = await partyKeys()

function options(overrides: Partial<DelegationServiceOptions> = {}): DelegationServiceOptions {
  return {
    baseUrl: 'https://idp.example.com/delegation',
    keys: { signingKey: idp.signingPrivatePem, encryptionKeys: [idp.encryptionPrivatePem] },
    registeredProviders: [
      { id: 'sp', signingKeys: [sp.signingPublicPem], encryptionKey: sp.encryptionPublicPem },
    ],
    ...overrides,
  }
}

describe('createDelegationService options', () => {
  it('creates a handler from valid options', async () => {
    await expect(createDelegationService(options())).resolves.toBeTypeOf('function')
  })

  it.each([
    'https://idp.example.com:8443/delegation',
    'http://localhost:4000/delegation',
    'http://[::1]:4000/delegation',
    `https://${'a'.repeat(60)}.${'b'.repeat(60)}.example.com/delegation`,
  ])('starts with the default TOTP issuer for baseUrl %s', async (baseUrl) => {
    await expect(createDelegationService(options({ baseUrl }))).resolves.toBeTypeOf('function')
  })

  it.each([
    ['a non-https baseUrl', { baseUrl: 'http://idp.example.com' }, 'ERR_INVALID_OPTION'],
    ['a baseUrl with a query', { baseUrl: 'https://idp.example.com/?a=1' }, 'ERR_INVALID_OPTION'],
    ['no providers', { registeredProviders: [] }, 'ERR_INVALID_OPTION'],
    [
      'two providers with one id',
      {
        registeredProviders: [
          { id: 'sp', signingKeys: sp.signingPublicPem, encryptionKey: sp.encryptionPublicPem },
          { id: 'sp', signingKeys: idp.signingPublicPem, encryptionKey: sp.encryptionPublicPem },
        ],
      },
      'ERR_INVALID_OPTION',
    ],
    [
      'one key registered twice',
      {
        registeredProviders: [
          { id: 'a', signingKeys: sp.signingPublicPem, encryptionKey: sp.encryptionPublicPem },
          { id: 'b', signingKeys: sp.signingPublicPem, encryptionKey: sp.encryptionPublicPem },
        ],
      },
      'ERR_INVALID_OPTION',
    ],
    [
      'a provider given a private key',
      {
        registeredProviders: [
          { id: 'sp', signingKeys: sp.signingPrivatePem, encryptionKey: sp.encryptionPublicPem },
        ],
      },
      'ERR_INVALID_PUBLIC_KEY',
    ],
    [
      'a public signing key',
      { keys: { signingKey: idp.signingPublicPem, encryptionKeys: idp.encryptionPrivatePem } },
      'ERR_INVALID_PRIVATE_KEY',
    ],
    [
      'swapped key kinds',
      { keys: { signingKey: idp.encryptionPrivatePem, encryptionKeys: idp.signingPrivatePem } },
      'ERR_INVALID_PRIVATE_KEY',
    ],
    ['a zero attempt limit', { maxAttempts: 0 }, 'ERR_INVALID_OPTION'],
    ['a TOTP issuer with a colon', { totp: { issuer: 'a:b' } }, 'ERR_INVALID_OPTION'],
    ['a TOTP algorithm outside the list', { totp: { algorithm: 'MD5' as 'SHA1' } }, 'ERR_INVALID_OPTION'],
    ['a sender that is not a function', { senders: { sms: 'twilio' as never } }, 'ERR_INVALID_OPTION'],
  ])('refuses %s at creation', async (_, overrides, code) => {
    await expect(
      createDelegationService(options(overrides as Partial<DelegationServiceOptions>)),
    ).rejects.toMatchObject({ code })
  })
})

describe('memory stores', () => {
  const session = (id: string, userId = 'alice'): MfaChangeSessionRecord => ({
    id,
    spId: 'sp',
    userId,
    method: 'email',
    email: 'a@example.com',
    phoneNumber: null,
    codeDigest: 'digest',
    totpSecret: null,
    expiresAt: 100,
    attempts: 0,
  })

  it('keeps one pending session per user, scopes everything by provider, takes a session once', async () => {
    const store = createMemoryDelegationStore()
    await store.putSession(session('s1'))
    await store.putSession(session('s2'))
    await expect(store.takeSession('sp', 's1')).resolves.toBeUndefined()
    await expect(store.recordAttempt('other-sp', 's2', 'alice')).resolves.toBeUndefined()
    await expect(store.recordAttempt('sp', 's2', 'alice')).resolves.toMatchObject({ id: 's2', attempts: 1 })
    await expect(store.recordAttempt('sp', 's2', 'alice')).resolves.toMatchObject({ id: 's2', attempts: 2 })
    const [first, second] = await Promise.all([store.takeSession('sp', 's2'), store.takeSession('sp', 's2')])
    expect([first?.id, second?.id].sort()).toEqual(['s2', undefined])
    expect((first ?? second)?.attempts).toBe(2)
    await expect(store.recordAttempt('sp', 's2', 'alice')).resolves.toBeUndefined()
    await store.putCredentials('sp', 'alice', {
      method: 'sms',
      email: null,
      phoneNumber: '+1555',
      totpSecret: null,
      updatedAt: 1,
    })
    await expect(store.getCredentials('other-sp', 'alice')).resolves.toBeUndefined()
    // Reads are copies: mutating one changes nothing stored.
    const read = await store.getCredentials('sp', 'alice')
    read!.method = 'totp'
    await expect(store.getCredentials('sp', 'alice')).resolves.toMatchObject({ method: 'sms' })
  })

  it('bounds sessions (oldest dropped) and users (refused)', async () => {
    const store = createMemoryDelegationStore({ maxSessions: 2, maxUsers: 1 })
    await store.putSession(session('s1', 'u1'))
    await store.putSession(session('s2', 'u2'))
    await store.putSession(session('s3', 'u3'))
    await expect(store.takeSession('sp', 's1')).resolves.toBeUndefined()
    await expect(store.takeSession('sp', 's3')).resolves.toMatchObject({ id: 's3' })
    const record = { method: null, email: null, phoneNumber: null, totpSecret: null, updatedAt: 1 }
    await store.putCredentials('sp', 'u1', record)
    await store.putCredentials('sp', 'u1', record)
    const full = await store.putCredentials('sp', 'u2', record).catch((error: unknown) => error)
    expect(full).toMatchObject({ code: 'ERR_DELEGATION_STORE_FULL', message: expect.stringMatching(/full/) })
    expect(full).toBeInstanceOf(DelegationStoreFullError)
    expect(full).toBeInstanceOf(AuthError)
    // A literal name, and one that a second copy of the package (its CommonJS build) recognises.
    expect((full as Error).name).toBe('DelegationStoreFullError')
    vi.resetModules()
    const other = (await import('../src/index.js')) as typeof import('../src/index.js')
    vi.resetModules()
    expect(other.DelegationStoreFullError).not.toBe(DelegationStoreFullError)
    expect(full).toBeInstanceOf(other.DelegationStoreFullError)
  })

  it('replay store: refuses a known id until it expires, and fails closed when full', async () => {
    const clock = { now: 1_000_000 }
    const replay = createMemoryReplayStore({ maxEntries: 2, now: () => clock.now })
    await expect(replay.consume('a', 1_010)).resolves.toBe(true)
    await expect(replay.consume('a', 1_010)).resolves.toBe(false)
    await expect(replay.consume('b', 1_020)).resolves.toBe(true)
    await expect(replay.consume('c', 1_030)).rejects.toMatchObject({ code: 'ERR_DELEGATION_STORE_FULL' })
    clock.now = 1_015_000
    await expect(replay.consume('c', 1_030)).resolves.toBe(true)
    await expect(replay.consume('b', 1_020)).resolves.toBe(false)
  })
})

describe('key rotation', () => {
  it('accepts requests encrypted to any current IdP key and signed by any registered SP key', async () => {
    const nextIdp = await partyKeys()
    const nextSp = await partyKeys()
    const handler = await createDelegationService(
      options({
        baseUrl: 'http://127.0.0.1/delegation',
        keys: {
          signingKey: idp.signingPrivatePem,
          encryptionKeys: [idp.encryptionPrivatePem, nextIdp.encryptionPrivatePem],
        },
        registeredProviders: [
          {
            id: 'sp',
            signingKeys: [sp.signingPublicPem, nextSp.signingPublicPem],
            encryptionKey: sp.encryptionPublicPem,
          },
        ],
      }),
    )
    // In memory: this test is about keys, the HTTP path is covered end to end elsewhere.
    const inMemory: typeof fetch = async (url, init) => handler(new Request(url, init))
    for (const [signing, encryption] of [
      [sp.signingPrivatePem, idp.encryptionPublicPem],
      [nextSp.signingPrivatePem, nextIdp.encryptionPublicPem],
    ] as const) {
      const client = await DelegationClient.fromKeys({
        spSigningKey: signing,
        spEncryptionKey: sp.encryptionPrivatePem,
        idpVerifyKey: [nextIdp.signingPublicPem, idp.signingPublicPem],
        idpEncryptionKey: encryption,
        baseUrl: 'http://127.0.0.1/delegation',
        spId: 'sp',
        fetch: inMemory,
      })
      await expect(client.getUserCredentials('alice')).resolves.toMatchObject({
        userId: 'alice',
        mfaMethod: null,
      })
    }
  })
})
