/**
 * The token server revoking into PostgreSQL, and a verifier on the same database refusing the
 * revoked token through its revocation hook: the set-up the README shows, on PGlite and a server.
 */
import { createTokenVerifier } from '@org/auth-core'
import {
  createClientRegistry,
  createMemoryClientStore,
  createTokenServer,
  generateSigningKey,
  staticSigningKeys,
} from '@org/auth-server'
import { describe, expect, it } from 'vitest'
import { PostgresRevocationStore, type Queryable } from '../src/index.js'
import { skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const ISSUER = 'https://auth.example.com'
const API = 'https://api.example.com/'

function cases(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh } = database

  describe(label, () => {
    it('revokes at the token server; a verifier sharing the store refuses the token', async () => {
      const revocations = new PostgresRevocationStore(db(), await fresh())
      const clients = createClientRegistry({ store: createMemoryClientStore() })
      const { clientId, clientSecret } = await clients.create({
        name: 'Worker',
        clientType: 'confidential',
        grantTypes: ['client_credentials'],
        scopes: [],
        audiences: [API],
      })
      const key = await generateSigningKey('EdDSA')
      const server = createTokenServer({
        issuer: ISSUER,
        clients,
        keys: staticSigningKeys([key]),
        revocations,
      })
      const post = (path: string, body: string) =>
        server(
          new Request(`${ISSUER}${path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
            },
            body,
          }),
        )
      const { access_token: token } = await (await post('/token', 'grant_type=client_credentials')).json()
      const verifier = createTokenVerifier({
        issuer: ISSUER,
        audience: API,
        jwks: { keys: [key.publicJwk] },
        revocation: { isRevoked: (claims) => revocations.isRevoked(claims.jti as string), cacheSeconds: 0 },
      })
      await expect(verifier.verify(token)).resolves.toMatchObject({ client_id: clientId })
      expect((await post('/revoke', `token=${token}`)).status).toBe(200)
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_JWT_REVOKED', status: 401 })
      expect(await (await post('/introspect', `token=${token}`)).json()).toEqual({ active: false })
    })

    it('fails closed when the database is gone: 503 at the verifier and the endpoints', async () => {
      const broken: Queryable = {
        query: async () => {
          throw new Error('connect ECONNREFUSED 10.0.0.5:5432')
        },
      }
      const revocations = new PostgresRevocationStore(broken)
      await expect(revocations.isRevoked('j')).rejects.toMatchObject({
        code: 'ERR_STORE_UNAVAILABLE',
        status: 503,
      })
      const key = await generateSigningKey('EdDSA')
      const verifier = createTokenVerifier({
        issuer: ISSUER,
        audience: API,
        jwks: { keys: [key.publicJwk] },
        revocation: { isRevoked: (claims) => revocations.isRevoked(claims.jti as string) },
      })
      const clients = createClientRegistry({ store: createMemoryClientStore() })
      const { clientId, clientSecret } = await clients.create({
        name: 'Worker',
        clientType: 'confidential',
        grantTypes: ['client_credentials'],
        scopes: [],
        audiences: [API],
      })
      const server = createTokenServer({
        issuer: ISSUER,
        clients,
        keys: staticSigningKeys([key]),
        revocations,
      })
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${clientId}:${clientSecret}`)}`,
      }
      const issued = await server(
        new Request(`${ISSUER}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials' }),
      )
      const { access_token: token } = await issued.json()
      await expect(verifier.verify(token)).rejects.toMatchObject({
        code: 'ERR_REVOCATION_UNAVAILABLE',
        status: 503,
      })
      for (const path of ['/introspect', '/revoke']) {
        const answer = await server(
          new Request(`${ISSUER}${path}`, { method: 'POST', headers, body: `token=${token}` }),
        )
        expect(answer.status).toBe(503)
        expect(await answer.text()).not.toContain('10.0.0.5')
      }
    })
  })
}

describe('revocation on PGlite (embedded)', () => {
  cases('PGlite', usePGlite())
})

describe.skipIf(skip)('revocation on a server (DATABASE_URL, pg.Pool)', () => {
  cases('pg.Pool', usePool())
})
