/** The server's client registry on PostgreSQL: what the token server and the administration commands share. */
import { createClientRegistry } from '@org/auth-server'
import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { PostgresClientStore, type Queryable } from '../src/index.js'
import { skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const machine = {
  name: 'Billing worker',
  clientType: 'confidential' as const,
  grantTypes: ['client_credentials' as const],
  scopes: ['invoices:read'],
  audiences: ['https://api.example.com/'],
}

function cases(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh } = database
  const registryOn = async () => {
    const options = await fresh()
    const store = new PostgresClientStore(db(), options)
    return { store, options, registry: createClientRegistry({ store }) }
  }

  describe(label, () => {
    it('verifies a secret, keeps the old one for the grace period on the database clock, then not', async () => {
      const { registry } = await registryOn()
      const { clientId, clientSecret: first } = await registry.create(machine)
      await expect(registry.verifySecret(clientId, first as string)).resolves.toMatchObject({ clientId })
      const { clientSecret: second } = await registry.rotateSecret({ clientId, gracePeriodSeconds: 1 })
      await expect(registry.verifySecret(clientId, first as string)).resolves.toBeDefined()
      await expect(registry.verifySecret(clientId, second)).resolves.toBeDefined()
      await new Promise((resolve) => setTimeout(resolve, 1300))
      await expect(registry.verifySecret(clientId, first as string)).resolves.toBeUndefined()
      await expect(registry.verifySecret(clientId, second)).resolves.toBeDefined()
      await registry.disable(clientId)
      await expect(registry.verifySecret(clientId, second)).resolves.toBeUndefined()
    })

    it('leaves one new secret and the grace one valid after concurrent rotations across the pool', async () => {
      const { registry } = await registryOn()
      const { clientId, clientSecret } = await registry.create(machine)
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => registry.rotateSecret({ clientId, gracePeriodSeconds: 60 })),
      )
      // Rotations that read the same secret: one wins, the rest conflict. One that started after
      // another committed rotates again (as two rotations in a row do).
      const won = results.flatMap((result) =>
        result.status === 'fulfilled' ? [result.value.clientSecret] : [],
      )
      expect(won.length).toBeGreaterThanOrEqual(1)
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'ERR_CLIENT_CONFLICT' })
      }
      const valid = await Promise.all(
        [clientSecret as string, ...won].map((secret) => registry.verifySecret(clientId, secret)),
      )
      expect(valid.filter((client) => client !== undefined)).toHaveLength(2)
    })

    it('answers hostile ids as unknown, and refuses a row it did not write', async () => {
      const { registry, options } = await registryOn()
      for (const id of ["'; DROP TABLE clients; --", 'a\u0000b', 'a\uD800', '%00']) {
        await expect(registry.verifySecret(id, 'oas_x'), id).resolves.toBeUndefined()
        await expect(registry.show(id), id).rejects.toMatchObject({ code: 'ERR_CLIENT_NOT_FOUND' })
      }
      await registry.create(machine)
      await db().query(`UPDATE "${options.schema}".clients SET record = 'not json'`)
      await expect(registry.list()).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_VALUE', status: 500 })
    })

    it('keeps a private_key_jwt client (no secret, its keys), and reads older rows as secret clients', async () => {
      const { registry, options } = await registryOn()
      const key = async (kid: string) => ({
        ...(await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey)),
        kid,
      })
      const first = await key('k1')
      const created = await registry.create({
        ...machine,
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [first] },
      })
      expect(created.clientSecret).toBeUndefined()
      await expect(registry.assertionClient(created.clientId)).resolves.toEqual(created.client)
      await expect(registry.verifySecret(created.clientId, '')).resolves.toBeUndefined()
      const second = await key('k2')
      await registry.update(created.clientId, { jwks: { keys: [first, second] } })
      await expect(registry.show(created.clientId)).resolves.toMatchObject({
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [first, second] },
        revision: 2,
      })
      // A row written before the fields existed: no migration, the registry reads the defaults.
      const { clientId, clientSecret } = await registry.create(machine)
      await db().query(
        `UPDATE "${options.schema}".clients
          SET record = (record::jsonb - 'tokenEndpointAuthMethod' - 'jwks')::text WHERE id = $1`,
        [clientId],
      )
      await expect(registry.verifySecret(clientId, clientSecret as string)).resolves.toMatchObject({
        tokenEndpointAuthMethod: 'client_secret_basic',
        jwks: null,
      })
    })
  })
}

describe('client registry on PGlite (embedded)', () => {
  cases('PGlite', usePGlite())
})

describe.skipIf(skip)('client registry on a server (DATABASE_URL, pg.Pool)', () => {
  cases('pg.Pool', usePool())
})
