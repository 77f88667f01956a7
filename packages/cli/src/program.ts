/**
 * The command line, declared with commander: every command, option and default, and the help
 * text. Actions live in commands/; this file only maps options to them.
 */

import { GRANT_TYPES, SIGNING_ALGORITHMS, TOKEN_ENDPOINT_AUTH_METHODS } from '@org/auth-server'
import { Command, InvalidArgumentError, Option } from 'commander'
import {
  addClient,
  listClients,
  rotateSecret,
  setDisabled,
  showClient,
  updateClient,
} from './commands/clients.js'
import { runMigrate, runRoles } from './commands/database.js'
import { generateKey, KEK_VARIABLE, listKeys, retireKey, rotateKey } from './commands/keys.js'
import { serve } from './commands/serve.js'
import { type Context, DEFAULT_DATA_DIR, DEFAULT_SCHEMA } from './context.js'

const DATABASE_HELP = `
Database:
  DATABASE_URL set      a PostgreSQL server (pg pool), e.g. postgres://user:pass@host:5432/db;
                        run \`org-auth migrate\` once first
  DATABASE_URL unset    an embedded PGlite in --data-dir (default ${DEFAULT_DATA_DIR}),
                        created and migrated on first use; one process at a time

Signing keys are sealed under ${KEK_VARIABLE}: 32 random bytes as base64 (openssl rand -base64 32).

Exit codes: 0 ok, 1 operational failure (database down, port taken), 2 usage or configuration
error (also: rotate-secret of a client without a secret), 3 not found (unknown client or key),
4 conflict (a disabled client, a concurrent change).`

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const number = Number(value)
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`)
    }
    return number
  }
}

/** A repeatable option; with `split`, one value may also hold several, space-separated. */
function repeatable(split: boolean) {
  return (value: string, previous: string[] | undefined): string[] => [
    ...(previous ?? []),
    // An empty value adds nothing: `--scope ''` sets the list to none (on update).
    ...(split ? value.split(/\s+/) : [value]).filter((part) => part !== ''),
  ]
}

/** --json, --schema, --data-dir: every command that touches the database. */
function common(command: Command): Command {
  return command
    .option('--json', 'machine-readable output: one JSON document on stdout (errors as JSON on stderr)')
    .option('--schema <name>', 'the schema of the tables', DEFAULT_SCHEMA)
    .option('--data-dir <dir>', 'the embedded PGlite database, when DATABASE_URL is unset', DEFAULT_DATA_DIR)
}

/** The client fields `add` and `update` take. */
function clientFields(command: Command, required: boolean): Command {
  const grant = new Option(
    '--grant <type>',
    `a grant type, repeatable (${GRANT_TYPES.join(', ')})`,
  ).argParser(repeatable(true))
  const name = new Option('--name <name>', 'display name')
  if (required) {
    grant.makeOptionMandatory()
    name.makeOptionMandatory()
  }
  return command
    .addOption(name)
    .addOption(grant)
    .option('--scope <scope>', 'a scope it may be granted, repeatable or space-separated', repeatable(true))
    .option('--audience <uri>', 'a resource (RFC 8707) it may ask tokens for, repeatable', repeatable(false))
    .option('--redirect-uri <uri>', 'a redirect URI (authorization_code), repeatable', repeatable(false))
    .option('--owner <owner>', 'who manages the client (free text)')
    .addOption(
      new Option(
        '--auth-method <method>',
        required
          ? 'how it authenticates at /token (default: client_secret_basic if confidential, none if public)'
          : 'switch between client_secret_basic and client_secret_post',
      ).choices(TOKEN_ENDPOINT_AUTH_METHODS),
    )
    .option(
      '--jwks <file>',
      required
        ? 'JWK Set file of its public keys, for --auth-method private_key_jwt (- reads stdin)'
        : 'replace a private_key_jwt client\u2019s public keys with this JWK Set file (- reads stdin)',
    )
}

function keyRingFlags(command: Command): Command {
  return command
    .option(
      '--publish-before <seconds>',
      'delay between a new key\u2019s publication and its first signature',
      integer('--publish-before', 0, 31_622_400),
      3600,
    )
    .option(
      '--token-ttl <seconds>',
      'how long a retired key stays published (longest token lifetime)',
      integer('--token-ttl', 0, 31_622_400),
      3600,
    )
}

const algorithm = (fallback?: string) => {
  const option = new Option('--alg <alg>', 'signing algorithm').choices(SIGNING_ALGORITHMS)
  return fallback === undefined ? option : option.default(fallback)
}

export function buildProgram(context: Context): Command {
  const program = new Command('org-auth')
    .description('Administer and run the org-auth token server: schema, roles, clients, signing keys.')
    .addHelpText('after', DATABASE_HELP)
  common(program.command('migrate').description('create or upgrade the tables (schema versions)')).action(
    (options) => runMigrate(context, options),
  )

  const db = program.command('db').description('database administration')
  common(
    db
      .command('roles')
      .description('create NOLOGIN admin and token-server roles with least privileges (idempotent)')
      .requiredOption('--admin-role <role>', 'role that manages clients and keys')
      .requiredOption(
        '--server-role <role>',
        'role `serve` connects as (read clients and keys; rate limits, used assertions, revocations)',
      )
      .option('--print', 'print the SQL instead of running it'),
  ).action((options) => runRoles(context, options))

  const clients = program.command('clients').description('OAuth clients of the token server')
  common(
    clientFields(
      clients
        .command('add')
        .description('register a client; prints its secret (if it has one) once')
        .addOption(
          new Option('--type <type>', 'client type')
            .choices(['confidential', 'public'])
            .makeOptionMandatory(),
        ),
      true,
    ),
  ).action((options) => addClient(context, options))
  common(
    clientFields(clients.command('update <id>').description('change a client (given lists replace)'), false),
  ).action((id, options) => updateClient(context, id, options))
  common(
    clients
      .command('rotate-secret <id>')
      .description(
        'new secret, printed once; the old one works for --grace seconds (not for private_key_jwt: update --jwks)',
      )
      .option(
        '--grace <seconds>',
        'how long the previous secret keeps working',
        integer('--grace', 0, 31_622_400),
        0,
      ),
  ).action((id, options) => rotateSecret(context, id, options))
  common(clients.command('disable <id>').description('refuse the client\u2019s secrets')).action(
    (id, options) => setDisabled(context, id, true, options),
  )
  common(clients.command('enable <id>').description('accept the client\u2019s secrets again')).action(
    (id, options) => setDisabled(context, id, false, options),
  )
  common(
    clients
      .command('list')
      .description('every client (never a secret)')
      .option('--owner <owner>', 'only this owner\u2019s'),
  ).action((options) => listClients(context, options))
  common(clients.command('show <id>').description('one client (never its secret)')).action((id, options) =>
    showClient(context, id, options),
  )

  const keys = program
    .command('keys')
    .description(`signing keys of the token server (sealed under ${KEK_VARIABLE})`)
  common(
    keyRingFlags(
      keys
        .command('generate')
        .description('add a key (signs at once when none signs yet)')
        .addOption(algorithm('ES256')),
    ),
  ).action((options) => generateKey(context, options))
  common(
    keyRingFlags(
      keys
        .command('rotate')
        .description('add a key and retire the others when it activates')
        .addOption(algorithm()),
    ),
  ).action((options) => rotateKey(context, options))
  common(keys.command('list').description('every key with its state (* = signing)')).action((options) =>
    listKeys(context, options),
  )
  common(
    keyRingFlags(
      keys
        .command('retire <kid>')
        .description('stop a key signing; it stays published --token-ttl seconds')
        .option('--unpublish', 'remove it from the JWKS at once (a compromised key)'),
    ),
  ).action((kid, options) => retireKey(context, kid, options))

  common(
    program
      .command('serve')
      .description(
        'run the token server (POST /token, /introspect, /revoke; /jwks.json, metadata) until SIGINT or SIGTERM',
      )
      .requiredOption('--issuer <url>', 'issuer identifier: https, or http on a loopback host')
      .option('--port <port>', 'TCP port (0: any free port)', integer('--port', 0, 65_535), 4100)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option(
        '--access-token-ttl <seconds>',
        'access token lifetime',
        integer('--access-token-ttl', 1, 86_400),
        300,
      )
      .option(
        '--client-cache-seconds <seconds>',
        'reuse a client read for authentication this long (a change made elsewhere, e.g. disable, reaches this server within it)',
        integer('--client-cache-seconds', 0, 300),
        0,
      ),
  ).action((options) => serve(context, options))

  // Run by run() before commander parses (its arguments pass through); listed here for --help.
  program
    .command('delegation-keys')
    .description('MFA delegation key pairs: `org-auth-keys` of @org/auth-server (delegation-keys --help)')

  return program
}
