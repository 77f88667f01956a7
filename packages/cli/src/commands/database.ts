/** `org-auth migrate` and `org-auth db roles`: the schema and the least-privilege roles. */
import { leastPrivilegeRoles, migrate, PostgresStoreError, SCHEMA_VERSION } from '@org/auth-postgres'
import type { CommonOptions, Context } from '../context.js'

export async function runMigrate(context: Context, options: CommonOptions): Promise<void> {
  const { db, kind } = await context.database(options, { migrateEmbedded: false })
  const result = await migrate(db, { schema: options.schema })
  context.print(options, { schema: options.schema, database: kind, ...result }, () =>
    result.applied.length === 0
      ? `Schema "${options.schema}" is up to date (version ${result.version}).`
      : `Schema "${options.schema}": applied version${result.applied.length > 1 ? 's' : ''} ${result.applied.join(', ')}; now at version ${result.version} of ${SCHEMA_VERSION}.`,
  )
}

export async function runRoles(
  context: Context,
  options: CommonOptions & { adminRole: string; serverRole: string; print?: boolean },
): Promise<void> {
  // Built before connecting: invalid names are usage errors, with nothing run.
  const statements = leastPrivilegeRoles({
    schema: options.schema,
    adminRole: options.adminRole,
    serverRole: options.serverRole,
  })
  if (options.print === true) {
    context.print(options, { statements }, () => statements.map((statement) => `${statement};`).join('\n'))
    return
  }
  const { db } = await context.database(options)
  try {
    for (const statement of statements) await db.query(statement)
  } catch (error) {
    // The SQLSTATE is reported (42501: not the owner or no CREATEROLE; 42P01: run migrate first).
    throw new PostgresStoreError('create the roles and grant their privileges', error)
  }
  context.print(
    options,
    { schema: options.schema, adminRole: options.adminRole, serverRole: options.serverRole, statements },
    () =>
      `Roles ready on schema "${options.schema}": ${options.adminRole} (clients and keys), ${options.serverRole} (token server). ` +
      'Grant them to login roles (GRANT <role> TO <user>).',
  )
}
