/**
 * The `ClientStore` contract of @org/auth-server (the client registry of the token server),
 * restated structurally as in store-contracts.ts: the memory store and the PostgreSQL store run it.
 * The store sees hashes only; the strings below stand in for them.
 */
import { describe, expect, it } from 'vitest'
import { HOSTILE_KEYS } from './hostile-keys.js'

export interface ClientRecordLike {
  clientId: string
  name: string
  clientType: 'confidential' | 'public'
  grantTypes: string[]
  scopes: string[]
  audiences: string[]
  redirectUris: string[]
  owner: string | null
  /** Optional here: records written before these fields existed lack them (the registry fills them). */
  tokenEndpointAuthMethod?: string
  jwks?: { keys: object[] } | null
  disabled: boolean
  createdAt: number
  updatedAt: number
  revision: number
}

export interface ClientStoreLike {
  insert(client: ClientRecordLike, secretHash: string | null): Promise<boolean>
  get(clientId: string): Promise<ClientRecordLike | undefined>
  list(filter?: { owner?: string }): Promise<ClientRecordLike[]>
  getWithSecrets(
    clientId: string,
  ): Promise<
    { client: ClientRecordLike; secretHash: string | null; previousSecretHash: string | null } | undefined
  >
  replace(client: ClientRecordLike, expectedRevision: number): Promise<boolean>
  rotateSecret(
    clientId: string,
    expectedHash: string,
    newHash: string,
    graceSeconds: number,
  ): Promise<boolean>
}

/** The store's clock, as in store-contracts.ts (a fake one for memory stores, the real one for databases). */
export interface ClientContractClock {
  now(): number
  advance(ms: number): Promise<void>
}

const RACERS = 20

export function clientRecord(clientId: string, overrides: Partial<ClientRecordLike> = {}): ClientRecordLike {
  return {
    clientId,
    name: 'Billing worker ✓',
    clientType: 'confidential',
    grantTypes: ['client_credentials'],
    scopes: ['invoices:read', 'invoices:write'],
    audiences: ['https://api.example.com/'],
    redirectUris: [],
    owner: 'team-billing',
    disabled: false,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    revision: 1,
    ...overrides,
  }
}

/** A stand-in for a stored hash (the store treats it as opaque text). */
const hash = (label: string) => `hmac-sha256$c2FsdC0${label}$ZGlnZXN0LQ${label}`

/** Runs the `ClientStore` contract against fresh stores from `make`. */
export function clientStoreContract(
  name: string,
  make: () => Promise<ClientStoreLike>,
  clock: ClientContractClock,
): void {
  describe(`ClientStore contract: ${name}`, () => {
    it('inserts once, reads back what was stored, and hands out copies', async () => {
      const store = await make()
      const record = clientRecord('c1')
      await expect(store.insert(record, hash('a'))).resolves.toBe(true)
      await expect(store.insert(clientRecord('c1', { name: 'impostor' }), hash('b'))).resolves.toBe(false)
      const read = await store.get('c1')
      expect(read).toEqual(record)
      read?.scopes.push('admin')
      record.scopes.push('changed after insert')
      await expect(store.get('c1')).resolves.toEqual(clientRecord('c1'))
      await expect(store.getWithSecrets('c1')).resolves.toEqual({
        client: clientRecord('c1'),
        secretHash: hash('a'),
        previousSecretHash: null,
      })
      // A public client has no secret.
      await store.insert(
        clientRecord('p1', { clientType: 'public', grantTypes: ['authorization_code'] }),
        null,
      )
      await expect(store.getWithSecrets('p1')).resolves.toMatchObject({
        secretHash: null,
        previousSecretHash: null,
      })
    })

    it('keeps a private_key_jwt client\u2019s method and keys exactly, as copies', async () => {
      const store = await make()
      const jwks = () => ({
        keys: [
          { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' },
          {
            kty: 'EC',
            crv: 'P-256',
            x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
            y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          },
        ] as Array<Record<string, unknown>>,
      })
      const keyClient = (keys = jwks()) =>
        clientRecord('k1', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys })
      const record = keyClient()
      await expect(store.insert(record, null)).resolves.toBe(true)
      const read = await store.get('k1')
      expect(read).toEqual(keyClient())
      // Neither the inserted object nor a read one is the stored record.
      read?.jwks?.keys.pop()
      record.jwks?.keys.pop()
      await expect(store.getWithSecrets('k1')).resolves.toEqual({
        client: keyClient(),
        secretHash: null,
        previousSecretHash: null,
      })
      // Key rotation is a replace of the record.
      const rotated = { ...keyClient({ keys: jwks().keys.slice(1) }), revision: 2 }
      await expect(store.replace(rotated, 1)).resolves.toBe(true)
      await expect(store.get('k1')).resolves.toEqual(rotated)
    })

    it('answers undefined or false for unknown ids, and changes nothing', async () => {
      const store = await make()
      await store.insert(clientRecord('known'), hash('a'))
      await expect(store.get('unknown')).resolves.toBeUndefined()
      await expect(store.getWithSecrets('unknown')).resolves.toBeUndefined()
      await expect(store.replace(clientRecord('unknown', { revision: 2 }), 1)).resolves.toBe(false)
      await expect(store.rotateSecret('unknown', hash('a'), hash('b'), 60)).resolves.toBe(false)
      await expect(store.get('unknown')).resolves.toBeUndefined()
      expect((await store.list()).map((client) => client.clientId)).toEqual(['known'])
    })

    it('replaces a record only at the expected revision, never its secret', async () => {
      const store = await make()
      await store.insert(clientRecord('c1'), hash('a'))
      const changed = clientRecord('c1', {
        name: 'renamed',
        scopes: ['x'],
        disabled: true,
        revision: 2,
        updatedAt: 2,
      })
      await expect(store.replace(changed, 1)).resolves.toBe(true)
      await expect(store.get('c1')).resolves.toEqual(changed)
      // A writer that read revision 1 lost: refused, not merged.
      await expect(store.replace(clientRecord('c1', { name: 'stale', revision: 2 }), 1)).resolves.toBe(false)
      await expect(store.get('c1')).resolves.toMatchObject({ name: 'renamed', revision: 2 })
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({ secretHash: hash('a') })
    })

    it('lets exactly one of concurrent replacements at a revision through', async () => {
      const store = await make()
      await store.insert(clientRecord('c1'), hash('a'))
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          store.replace(clientRecord('c1', { name: `n${i}`, revision: 2 }), 1),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      await expect(store.get('c1')).resolves.toMatchObject({ name: `n${winner}`, revision: 2 })
    })

    it('rotates a secret: the old one stays for the grace period, then only the new one', async () => {
      const store = await make()
      await store.insert(clientRecord('c1'), hash('a'))
      await expect(store.rotateSecret('c1', hash('wrong'), hash('b'), 60)).resolves.toBe(false)
      await expect(store.rotateSecret('c1', hash('a'), hash('b'), 1)).resolves.toBe(true)
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({
        secretHash: hash('b'),
        previousSecretHash: hash('a'),
      })
      await clock.advance(1300)
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({
        secretHash: hash('b'),
        previousSecretHash: null,
      })
      // Without a grace period the old secret goes at once; a second rotation ends the first's grace.
      await expect(store.rotateSecret('c1', hash('b'), hash('c'), 0)).resolves.toBe(true)
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({
        secretHash: hash('c'),
        previousSecretHash: null,
      })
      await store.rotateSecret('c1', hash('c'), hash('d'), 3600)
      await store.rotateSecret('c1', hash('d'), hash('e'), 3600)
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({
        secretHash: hash('e'),
        previousSecretHash: hash('d'),
      })
      // The record is not a secret change's business.
      await expect(store.get('c1')).resolves.toEqual(clientRecord('c1'))
    })

    it('leaves exactly one new secret (and the grace one) after concurrent rotations', async () => {
      const store = await make()
      await store.insert(clientRecord('c1'), hash('old'))
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          store.rotateSecret('c1', hash('old'), hash(`new${i}`), 3600),
        ),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      const winner = results.indexOf(true)
      await expect(store.getWithSecrets('c1')).resolves.toMatchObject({
        secretHash: hash(`new${winner}`),
        previousSecretHash: hash('old'),
      })
    })

    it('refuses to rotate a client without a secret', async () => {
      const store = await make()
      await store.insert(
        clientRecord('p1', { clientType: 'public', grantTypes: ['authorization_code'] }),
        null,
      )
      await expect(store.rotateSecret('p1', hash('a'), hash('b'), 0)).resolves.toBe(false)
      await expect(store.getWithSecrets('p1')).resolves.toMatchObject({ secretHash: null })
    })

    it('lists by id, filters by owner, and never lists secret material', async () => {
      const store = await make()
      await store.insert(clientRecord('b', { owner: 'team-1' }), hash('secret-b'))
      await store.insert(clientRecord('a', { owner: 'team-2' }), hash('secret-a'))
      await store.insert(clientRecord('c', { owner: null }), hash('secret-c'))
      await store.rotateSecret('a', hash('secret-a'), hash('secret-a2'), 3600)
      const all = await store.list()
      expect(all.map((client) => client.clientId)).toEqual(['a', 'b', 'c'])
      expect(all[0]).toEqual(clientRecord('a', { owner: 'team-2' }))
      const text = JSON.stringify([all, await store.get('a')])
      expect(text).not.toMatch(/secret|hmac-sha256|hash/i)
      expect((await store.list({ owner: 'team-1' })).map((client) => client.clientId)).toEqual(['b'])
      await expect(store.list({ owner: 'nobody' })).resolves.toEqual([])
    })

    it('keeps hostile client ids and owners apart', async () => {
      const store = await make()
      for (const [i, key] of HOSTILE_KEYS.entries()) {
        await expect(
          store.insert(clientRecord(key, { owner: key, name: key }), hash(`h${i}`)),
          key,
        ).resolves.toBe(true)
      }
      for (const [i, key] of HOSTILE_KEYS.entries()) {
        await expect(store.get(key), key).resolves.toEqual(clientRecord(key, { owner: key, name: key }))
        await expect(store.getWithSecrets(key), key).resolves.toMatchObject({ secretHash: hash(`h${i}`) })
        expect(
          (await store.list({ owner: key })).map((client) => client.clientId),
          key,
        ).toEqual([key])
      }
      expect(await store.list()).toHaveLength(HOSTILE_KEYS.length)
      // Lone surrogates stay distinct: rotating one client's secret leaves the other's alone.
      const low = HOSTILE_KEYS.indexOf('a\uDC00')
      const high = HOSTILE_KEYS.indexOf('a\uD800')
      await expect(store.rotateSecret('a\uD800', hash(`h${high}`), hash('new'), 0)).resolves.toBe(true)
      await expect(store.getWithSecrets('a\uDC00')).resolves.toMatchObject({ secretHash: hash(`h${low}`) })
    })
  })
}
