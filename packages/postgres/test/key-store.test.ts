/** The server's key ring on PostgreSQL: what the token server instances and the CLI share. */
import { randomBytes } from 'node:crypto'
import { createTokenVerifier } from '@org/auth-core'
import { createKeyRing } from '@org/auth-server'
import { fakeClock } from '@org/test-kit/store-contracts'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { PostgresKeyStore, type Queryable } from '../src/index.js'
import { skip, type TestDatabase, usePGlite, usePool } from './postgres.js'

const KEK = randomBytes(32).toString('base64')

function cases(label: string, database: TestDatabase<Queryable>): void {
  const { db, fresh } = database

  describe(label, () => {
    it('rotates across two instances sharing the table; tokens of both keys verify during the overlap', async () => {
      const clock = fakeClock(1_800_000_000_000)
      const options = await fresh()
      const ring = (kek: Uint8Array | string = KEK) =>
        createKeyRing({ store: new PostgresKeyStore(db(), options), kek, now: clock.now, tokenTtl: 600 })
      const [a, b] = [ring(), ring()]
      const first = await a.generate('EdDSA')
      const second = await b.rotate('ES256')
      await clock.advance(3_600_000)
      expect((await a.list()).map(({ kid, state }) => ({ kid, state }))).toEqual([
        { kid: first.kid, state: 'retired' },
        { kid: second.kid, state: 'active' },
      ])
      const jwks = await a.publicJwks()
      expect(jwks.keys.map((key) => key.kid)).toEqual([first.kid, second.kid])
      const verifier = createTokenVerifier({
        issuer: 'https://as',
        audience: 'https://api',
        jwks,
        onWarning: false,
      })
      const { kid, alg, privateKey } = await b.signingKey()
      expect(kid).toBe(second.kid)
      const token = await new SignJWT({})
        .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
        .setIssuer('https://as')
        .setAudience('https://api')
        .setExpirationTime('1m')
        .sign(privateKey)
      await expect(verifier.verify(token)).resolves.toMatchObject({ iss: 'https://as' })
      // The private key is in the table only sealed, and another KEK cannot open it.
      const { rows } = await db().query(`SELECT * FROM "${options.schema}".signing_keys`)
      expect(JSON.stringify(rows)).not.toMatch(/"d"/)
      await expect(ring(randomBytes(32)).signingKey()).rejects.toMatchObject({ code: 'ERR_KEK_MISMATCH' })
    })
  })
}

describe('key ring on PGlite (embedded)', () => {
  cases('PGlite', usePGlite())
})

describe.skipIf(skip)('key ring on a server (DATABASE_URL, pg.Pool)', () => {
  cases('pg.Pool', usePool())
})
