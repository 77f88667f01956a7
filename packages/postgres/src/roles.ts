/**
 * Least-privilege roles for the token server's tables (Steelcut's set-up): an administrator role
 * that manages clients and signing keys, and a server role with only what a running token server
 * does. Neither owns a table or may CREATE in the schema, so neither can run DDL; the schema's
 * owner (whoever ran `migrate()`) keeps that. Both are NOLOGIN groups: grant them to login roles
 * (`GRANT org_auth_server TO app_user`), so passwords stay with the database administrator.
 *
 * The statements are idempotent (a role is created only when missing; GRANT of a held privilege
 * is a no-op), so they can run again after every upgrade that adds a table.
 */
import { ConfigurationError } from '@org/auth-core'
import { type PostgresStoreOptions, schemaOf } from './database.js'

export interface LeastPrivilegeRolesOptions extends PostgresStoreOptions {
  /** The role that manages clients and signing keys (the `org-auth clients` and `keys` commands). */
  adminRole: string
  /** The role the token server (`org-auth serve`) connects as. */
  serverRole: string
}

type Privilege = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE'

interface TableGrant {
  table: string
  privileges: Privilege[]
  /**
   * Granted only when the table exists: tables added by later schema versions (or by stores the
   * deployment does not use), so the statements also run on a schema migrated by an older version.
   */
  optional?: true
}

/** clients and signing_keys are read by the server and written by the administrator only. */
const ADMIN: readonly TableGrant[] = [
  { table: 'clients', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
  { table: 'signing_keys', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
]

/**
 * What `createTokenServer` does with the PostgreSQL stores: reads clients and keys, and counts
 * failed authentications (an upsert with RETURNING, and a DELETE on reset). `one_time` serves the
 * single-use claims, among them the `jti` of each private_key_jwt assertion (an upsert with
 * RETURNING); `revoked_tokens` records revocations (an upsert that reads the stored expiry) and
 * answers introspection (a SELECT). Neither needs DELETE: the stores never delete, expired rows
 * are ignored by every read, and `cleanupExpired` runs as the schema's owner (it sweeps the
 * session tables too, which this role cannot read).
 */
const SERVER: readonly TableGrant[] = [
  { table: 'clients', privileges: ['SELECT'] },
  { table: 'signing_keys', privileges: ['SELECT'] },
  { table: 'rate_limits', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] },
  { table: 'one_time', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
  { table: 'revoked_tokens', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
]

/** A role name as a quoted identifier: any text PostgreSQL accepts (1 to 63 bytes, no NUL). */
function roleName(value: unknown, option: string): string {
  if (
    typeof value !== 'string' ||
    value === '' ||
    value.includes('\0') ||
    new TextEncoder().encode(value).length > 63 ||
    /^pg_/i.test(value)
  ) {
    throw new ConfigurationError(
      `"${option}" must be a role name of 1 to 63 bytes, without NUL, not starting with "pg_"`,
    )
  }
  return value
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`
// An escape-string literal: its backslashes mean the same whatever standard_conforming_strings says.
const literal = (text: string) => `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`

/** A dollar-quote tag that does not occur in `body`, so no role name can close the quote. */
function dollarQuote(body: string): string {
  let tag = '$roles$'
  for (let i = 1; body.includes(tag); i++) tag = `$roles${i}$`
  return `${tag}${body}${tag}`
}

/** A role, created NOLOGIN when no role has this name; an existing role is left as it is. */
function createRole(name: string): string {
  const body = ` BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(name)}) THEN CREATE ROLE ${ident(name)} NOLOGIN; END IF; END `
  return `DO ${dollarQuote(body)}`
}

function grant(s: string, { table, privileges, optional }: TableGrant, role: string): string {
  const statement = `GRANT ${privileges.join(', ')} ON TABLE ${s}.${table} TO ${ident(role)}`
  if (optional !== true) return statement
  const body = ` BEGIN IF to_regclass(${literal(`${s}.${table}`)}) IS NOT NULL THEN EXECUTE ${literal(statement)}; END IF; END `
  return `DO ${dollarQuote(body)}`
}

/**
 * The statements that create (when missing) the two NOLOGIN roles and grant them their
 * privileges on the schema's tables. Run them as the schema's owner or a superuser, after
 * `migrate()`; one per `query`. Throws `ConfigurationError` for an invalid schema or role name,
 * or the same role for both.
 */
export function leastPrivilegeRoles(options: LeastPrivilegeRolesOptions): string[] {
  const s = schemaOf(options)
  const admin = roleName(options?.adminRole, 'adminRole')
  const server = roleName(options?.serverRole, 'serverRole')
  if (admin === server) {
    throw new ConfigurationError('"adminRole" and "serverRole" must be different roles')
  }
  return [
    createRole(admin),
    createRole(server),
    // USAGE only: looking up the schema's objects, never CREATE in it.
    `GRANT USAGE ON SCHEMA ${s} TO ${ident(admin)}, ${ident(server)}`,
    ...ADMIN.map((table) => grant(s, table, admin)),
    ...SERVER.map((table) => grant(s, table, server)),
  ]
}
