/**
 * `org-auth keys …`, `migrate`, `db roles` and `delegation-keys` in-process: the key ring's
 * life cycle through the CLI, never printing private material; the schema and the roles.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { SCHEMA_VERSION } from '@org/auth-postgres'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { backends, cli, DATABASE_URL, json, pgliteBackend, skipServer } from './helpers.js'

interface Key {
  kid: string
  alg: string
  state: string
  signing: boolean
  publicJwk: Record<string, unknown>
}

for (const backend of backends()) {
  describe(`keys on ${backend.name}`, () => {
    it('generate, rotate, list and retire; never a private member', async () => {
      const target = await backend.fresh()
      const first = await cli(['keys', 'generate', '--alg', 'ES256', '--json', ...target.args], target.env)
      expect(first.code, first.stderr).toBe(0)
      const { key } = json<{ key: Key }>(first)
      expect(key).toMatchObject({ alg: 'ES256', state: 'active', signing: true })

      const rotated = await cli(['keys', 'rotate', '--alg', 'EdDSA', '--json', ...target.args], target.env)
      expect(json<{ key: Key }>(rotated).key).toMatchObject({
        alg: 'EdDSA',
        state: 'pending',
        signing: false,
      })

      const listed = await cli(['keys', 'list', '--json', ...target.args], target.env)
      const keys = json<{ keys: Key[] }>(listed).keys
      expect(keys.map((k) => [k.alg, k.state, k.signing])).toEqual([
        ['ES256', 'active', true],
        ['EdDSA', 'pending', false],
      ])
      const text = await cli(['keys', 'list', ...target.args], target.env)
      expect(text.stdout).toContain(`${key.kid}  ES256  active*`)
      for (const output of [first.stdout, rotated.stdout, listed.stdout, text.stdout]) {
        expect(output).not.toMatch(/"d"|"p"|"q"|a256gcm/)
      }

      const retired = await cli(
        ['keys', 'retire', key.kid, '--unpublish', '--json', ...target.args],
        target.env,
      )
      expect(json<{ key: Key }>(retired).key).toMatchObject({ kid: key.kid, state: 'expired' })
      const unknown = await cli(['keys', 'retire', 'nope', ...target.args], target.env)
      expect(unknown).toMatchObject({ code: 3, stdout: '' })
      expect(unknown.stderr).toMatch(/ERR_KEY_NOT_FOUND/)
    })

    it('refuses keys sealed under another key-encryption key (exit 1)', async () => {
      const target = await backend.fresh()
      expect((await cli(['keys', 'generate', ...target.args], target.env)).code).toBe(0)
      const other = Buffer.alloc(32, 7).toString('base64')
      const result = await cli(['serve', '--issuer', 'http://127.0.0.1:1', '--port', '0', ...target.args], {
        ...target.env,
        ORG_AUTH_KEK: other,
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/another key-encryption key.*\[ERR_KEK_MISMATCH\]/)
    })
  })
}

describe('migrate', () => {
  const pglite = pgliteBackend()
  it('reports the versions it applied, then that the schema is up to date', async () => {
    const target = await pglite.fresh()
    const first = await cli(['migrate', '--json', ...target.args], target.env)
    expect(json(first)).toMatchObject({
      schema: 'org_auth',
      database: 'pglite',
      applied: Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    })
    const again = await cli(['migrate', ...target.args], target.env)
    expect(again.stdout).toMatch(/^Schema "org_auth" is up to date \(version \d+\)\.\n$/)
  })
})

describe('db roles --print', () => {
  it('prints the statements without a database', async () => {
    const result = await cli(
      [
        'db',
        'roles',
        '--admin-role',
        'auth_admin',
        '--server-role',
        'auth_server',
        '--schema',
        'tenant',
        '--print',
      ],
      { DATABASE_URL: 'postgres://127.0.0.1:1/none' },
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('GRANT SELECT ON TABLE "tenant".clients TO "auth_server";')
    expect(result.stdout).toContain('CREATE ROLE "auth_admin" NOLOGIN')
    expect(result.stdout).toContain(
      'GRANT SELECT, INSERT, UPDATE ON TABLE "tenant".revoked_tokens TO "auth_server";',
    )
  })
})

describe.skipIf(skipServer)('db roles on the server (DATABASE_URL)', () => {
  const suffix = Math.random().toString(36).slice(2, 8)
  const [admin, server, schema] = [
    `cli_admin_${suffix}`,
    `cli_server_${suffix}`,
    `org_auth_cli_roles_${suffix}`,
  ]
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    for (const role of [admin, server]) await pool.query(`DROP ROLE IF EXISTS "${role}"`)
    await pool.end()
  })

  it('creates the roles with their grants, twice', async () => {
    const env = { DATABASE_URL }
    expect((await cli(['migrate', '--schema', schema], env)).code).toBe(0)
    for (let i = 0; i < 2; i++) {
      const result = await cli(
        ['db', 'roles', '--admin-role', admin, '--server-role', server, '--schema', schema],
        env,
      )
      expect(result.code, result.stderr).toBe(0)
    }
    const { rows } = await pool.query(
      `SELECT grantee, table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privileges
       FROM information_schema.role_table_grants WHERE table_schema = $1 AND grantee = ANY($2)
       GROUP BY grantee, table_name ORDER BY grantee, table_name`,
      [schema, [admin, server]],
    )
    expect(rows).toEqual([
      { grantee: admin, table_name: 'clients', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
      { grantee: admin, table_name: 'signing_keys', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
      { grantee: server, table_name: 'clients', privileges: 'SELECT' },
      { grantee: server, table_name: 'one_time', privileges: 'INSERT,SELECT,UPDATE' },
      { grantee: server, table_name: 'rate_limits', privileges: 'DELETE,INSERT,SELECT,UPDATE' },
      { grantee: server, table_name: 'revoked_tokens', privileges: 'INSERT,SELECT,UPDATE' },
      { grantee: server, table_name: 'signing_keys', privileges: 'SELECT' },
    ])
  })
})

// The command is @org/auth-server's bin, which runs its build: skipped (and said) when it is not built.
const serverDir = dirname(createRequire(import.meta.url).resolve('@org/auth-server/package.json'))
const serverBuilt = existsSync(join(serverDir, 'dist', 'bin', 'keys.js'))
if (!serverBuilt)
  console.log(
    '@org/auth-server is not built: skipped the delegation-keys test (pnpm --filter @org/auth-server build)',
  )

describe.skipIf(!serverBuilt)('delegation-keys', () => {
  it('runs org-auth-keys generate and passes its exit code through', async () => {
    const result = await cli(['delegation-keys', 'generate', '--ed25519', '--role', 'sp'], {})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^SP_ED25519_PRIVATE_KEY_PEM="-----BEGIN PRIVATE KEY-----/m)
    expect((await cli(['delegation-keys', 'generate', '--bogus'], {})).code).toBe(2)
  })
})
