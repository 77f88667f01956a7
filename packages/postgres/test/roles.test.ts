/**
 * `leastPrivilegeRoles` against a real PostgreSQL server: the server role reads clients but
 * cannot write one or run DDL, the admin role manages clients, and the statements run twice.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leastPrivilegeRoles, migrate, PostgresOneTimeStore, PostgresRevocationStore } from '../src/index.js'
import { DATABASE_URL, skip } from './postgres.js'

describe('leastPrivilegeRoles (statements)', () => {
  it('quotes role names as identifiers and literals', () => {
    const statements = leastPrivilegeRoles({
      schema: 'org_auth',
      adminRole: `a"b'c\\d$roles$`,
      serverRole: 's',
    })
    expect(statements[0]).toContain(`CREATE ROLE "a""b'c\\d$roles$" NOLOGIN`)
    // An escape string: the backslash is doubled, whatever standard_conforming_strings says.
    expect(statements[0]).toContain(`rolname = E'a"b''c\\\\d$roles$'`)
    // The dollar quote's tag is not the one inside the name.
    expect(statements[0]?.startsWith('DO $roles1$')).toBe(true)
    expect(statements.join('\n')).not.toMatch(/CREATE (TABLE|SCHEMA)|ALL PRIVILEGES|\bLOGIN\b(?!;)/)
  })

  it('refuses the same role twice, an empty or reserved name and an invalid schema', () => {
    expect(() => leastPrivilegeRoles({ adminRole: 'r', serverRole: 'r' })).toThrow(/different/)
    expect(() => leastPrivilegeRoles({ adminRole: '', serverRole: 'r' })).toThrow(/adminRole/)
    expect(() => leastPrivilegeRoles({ adminRole: 'a', serverRole: 'pg_read' })).toThrow(/serverRole/)
    expect(() => leastPrivilegeRoles({ adminRole: 'a', serverRole: 'b', schema: 'X;' })).toThrow(/schema/)
  })
})

describe.skipIf(skip)('leastPrivilegeRoles on a server (DATABASE_URL)', () => {
  const id = randomBytes(4).toString('hex')
  const schema = `org_auth_roles_${id}`
  const adminRole = `org_auth_admin_${id}`
  const serverRole = `org auth "server" ${id}`
  let pool: pg.Pool

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
    await migrate(pool, { schema })
    const statements = leastPrivilegeRoles({ schema, adminRole, serverRole })
    // Twice: idempotent.
    for (const statement of [...statements, ...statements]) await pool.query(statement)
  })
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    for (const role of [adminRole, serverRole]) {
      const quoted = `"${role.replace(/"/g, '""')}"`
      await pool.query(`DROP OWNED BY ${quoted}`).catch(() => {})
      await pool.query(`DROP ROLE IF EXISTS ${quoted}`)
    }
    await pool.end()
  })

  /** Runs `body` on one connection as `role` (SET ROLE), then resets it. */
  async function as<T>(role: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    try {
      await client.query(`SET ROLE "${role.replace(/"/g, '""')}"`)
      return await body(client)
    } finally {
      await client.query('RESET ROLE')
      client.release()
    }
  }

  const insertClient = (client: pg.PoolClient, clientId: string) =>
    client.query(`INSERT INTO "${schema}".clients (id, record, revision) VALUES ($1, '{}', 1)`, [clientId])

  it('creates both roles NOLOGIN', async () => {
    const { rows } = await pool.query('SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1)', [
      [adminRole, serverRole],
    ])
    expect(rows).toHaveLength(2)
    expect(rows.every((row) => row.rolcanlogin === false)).toBe(true)
  })

  it('grants exactly these table privileges', async () => {
    const { rows } = await pool.query(
      `SELECT grantee, table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privileges
       FROM information_schema.role_table_grants WHERE table_schema = $1 AND grantee = ANY($2)
       GROUP BY grantee, table_name`,
      [schema, [adminRole, serverRole]],
    )
    // Sorted here: the database's collation may order the quoted role name differently.
    const byKey = (a: { grantee: string; table_name: string }, b: typeof a) =>
      `${a.grantee}/${a.table_name}` < `${b.grantee}/${b.table_name}` ? -1 : 1
    expect(rows.sort(byKey)).toEqual(
      [
        { grantee: adminRole, table_name: 'clients', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
        { grantee: adminRole, table_name: 'signing_keys', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
        { grantee: serverRole, table_name: 'clients', privileges: 'SELECT' },
        { grantee: serverRole, table_name: 'one_time', privileges: 'INSERT,SELECT,UPDATE' },
        { grantee: serverRole, table_name: 'rate_limits', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
        { grantee: serverRole, table_name: 'revoked_tokens', privileges: 'INSERT,SELECT,UPDATE' },
        { grantee: serverRole, table_name: 'signing_keys', privileges: 'SELECT' },
      ].sort(byKey),
    )
  })

  it('lets the server role revoke and check tokens and record assertion jtis, delete none', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300
    await as(serverRole, async (client) => {
      // The stores' own statements, on the SET ROLE connection.
      const revocations = new PostgresRevocationStore(client, { schema })
      await revocations.revoke('at-jti-1', exp)
      // Again, later: the upsert's UPDATE branch (GREATEST over the stored expiry).
      await revocations.revoke('at-jti-1', exp + 60)
      expect(await revocations.isRevoked('at-jti-1')).toBe(true)
      expect(await revocations.isRevoked('at-jti-2')).toBe(false)
      const used = new PostgresOneTimeStore(client, { schema })
      expect(await used.consume('assertion:oac_x:jti-1', exp)).toBe(true)
      expect(await used.consume('assertion:oac_x:jti-1', exp)).toBe(false)
      // No DELETE: a revocation cannot be undone by the token server.
      await expect(client.query(`DELETE FROM "${schema}".revoked_tokens`)).rejects.toMatchObject({
        code: '42501',
      })
      await expect(client.query(`DELETE FROM "${schema}".one_time`)).rejects.toMatchObject({
        code: '42501',
      })
    })
  })

  it('lets the admin role insert, update and delete clients', async () => {
    await as(adminRole, async (client) => {
      await insertClient(client, 'oac_admin')
      await client.query(`UPDATE "${schema}".clients SET revision = 2 WHERE id = 'oac_admin'`)
      const { rows } = await client.query(`SELECT revision FROM "${schema}".clients WHERE id = 'oac_admin'`)
      expect(rows).toEqual([{ revision: 2 }])
    })
  })

  it('lets the server role read clients and keys and count rate limits, nothing more', async () => {
    await as(serverRole, async (client) => {
      const { rows } = await client.query(`SELECT id FROM "${schema}".clients`)
      expect(rows.map((row) => row.id)).toContain('oac_admin')
      await client.query(`SELECT kid FROM "${schema}".signing_keys`)
      await client.query(
        `INSERT INTO "${schema}".rate_limits (key, count, window_ends) VALUES ('k', 1, now())
         ON CONFLICT (key) DO UPDATE SET count = "${schema}".rate_limits.count + 1 RETURNING count`,
      )
      await client.query(`DELETE FROM "${schema}".rate_limits WHERE key = 'k'`)
      await expect(insertClient(client, 'oac_server')).rejects.toMatchObject({ code: '42501' })
      await expect(client.query(`DELETE FROM "${schema}".clients`)).rejects.toMatchObject({ code: '42501' })
      await expect(client.query(`DELETE FROM "${schema}".signing_keys`)).rejects.toMatchObject({
        code: '42501',
      })
      // No DDL: not the owner of a table, no CREATE on the schema.
      await expect(client.query(`DROP TABLE "${schema}".clients`)).rejects.toMatchObject({ code: '42501' })
      await expect(client.query(`CREATE TABLE "${schema}".x (id int)`)).rejects.toMatchObject({
        code: '42501',
      })
    })
  })

  it('keeps the admin role from DDL too', async () => {
    await as(adminRole, async (client) => {
      await expect(client.query(`DROP TABLE "${schema}".signing_keys`)).rejects.toMatchObject({
        code: '42501',
      })
      await expect(client.query(`SELECT * FROM "${schema}".sessions`)).rejects.toMatchObject({
        code: '42501',
      })
    })
  })
})
