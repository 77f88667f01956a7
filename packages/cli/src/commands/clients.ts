/**
 * `org-auth clients …`: the client registry of `@org/auth-server` over `PostgresClientStore`.
 * A secret is printed once, by `add` and `rotate-secret`: the store keeps only its hash.
 */
import { PostgresClientStore } from '@org/auth-postgres'
import {
  type ClientRecord,
  type ClientRegistry,
  type CreateClientInput,
  createClientRegistry,
  type GrantType,
  type TokenEndpointAuthMethod,
  type UpdateClientInput,
} from '@org/auth-server'
import type { CommonOptions, Context } from '../context.js'
import { CliError } from '../errors.js'
import { clientLine, clientText, clientView } from '../format.js'
import { readJwks } from '../jwks-file.js'

export interface ClientFields {
  name?: string
  grant?: string[]
  scope?: string[]
  audience?: string[]
  redirectUri?: string[]
  owner?: string
  authMethod?: TokenEndpointAuthMethod
  /** A JWK Set file, or `-` for stdin. */
  jwks?: string
}

async function registry(context: Context, options: CommonOptions): Promise<ClientRegistry> {
  const { db } = await context.database(options)
  return createClientRegistry({ store: new PostgresClientStore(db, { schema: options.schema }) })
}

/**
 * The fields given on the command line, in the registry's names (lists replace, not add). The
 * JWK Set file is read here; the registry validates its keys.
 */
async function fields(context: Context, options: ClientFields): Promise<UpdateClientInput> {
  const changes: UpdateClientInput = {}
  if (options.name !== undefined) changes.name = options.name
  if (options.grant !== undefined) changes.grantTypes = options.grant as GrantType[]
  if (options.scope !== undefined) changes.scopes = options.scope
  if (options.audience !== undefined) changes.audiences = options.audience
  if (options.redirectUri !== undefined) changes.redirectUris = options.redirectUri
  if (options.owner !== undefined) changes.owner = options.owner
  if (options.authMethod !== undefined) changes.tokenEndpointAuthMethod = options.authMethod
  if (options.jwks !== undefined) changes.jwks = await readJwks(context, options.jwks)
  return changes
}

const SECRET_NOTICE = 'Store this secret now: it will not be shown again.'

function printSecret(context: Context, client: ClientRecord, secret: string | undefined): void {
  if (secret !== undefined) context.io.stdout(`\nclient_secret  ${secret}\n${SECRET_NOTICE}\n`)
  else if (client.tokenEndpointAuthMethod === 'private_key_jwt') {
    context.io.stdout('\nThe client authenticates with private_key_jwt: no secret.\n')
  } else context.io.stdout('\nA public client has no secret.\n')
}

export async function addClient(
  context: Context,
  options: CommonOptions & ClientFields & { type: 'confidential' | 'public' },
): Promise<void> {
  const input = { ...(await fields(context, options)), clientType: options.type } as CreateClientInput
  const created = await (await registry(context, options)).create(input)
  if (options.json === true) {
    context.print(
      options,
      { client: clientView(created.client), clientSecret: created.clientSecret ?? null },
      () => '',
    )
    return
  }
  context.io.stdout(`${clientText(created.client)}\n`)
  printSecret(context, created.client, created.clientSecret)
}

export async function updateClient(
  context: Context,
  clientId: string,
  options: CommonOptions & ClientFields,
) {
  const changes = await fields(context, options)
  // `--owner ''` removes the owner.
  if (changes.owner === '') changes.owner = null
  if (Object.keys(changes).length === 0) {
    throw new CliError('ERR_USAGE', 'clients update needs at least one field to change (see --help)')
  }
  const client = await (await registry(context, options)).update(clientId, changes)
  context.print(options, { client: clientView(client) }, () => clientText(client))
}

export async function rotateSecret(
  context: Context,
  clientId: string,
  options: CommonOptions & { grace: number },
): Promise<void> {
  const { clientSecret } = await (await registry(context, options)).rotateSecret({
    clientId,
    gracePeriodSeconds: options.grace,
  })
  if (options.json === true) {
    context.print(options, { clientId, clientSecret, gracePeriodSeconds: options.grace }, () => '')
    return
  }
  const grace =
    options.grace === 0
      ? 'The previous secret no longer works.'
      : `The previous secret keeps working for ${options.grace} seconds.`
  context.io.stdout(
    `client_id      ${clientId}\nclient_secret  ${clientSecret}\n${SECRET_NOTICE}\n${grace}\n`,
  )
}

export async function setDisabled(
  context: Context,
  clientId: string,
  disabled: boolean,
  options: CommonOptions,
): Promise<void> {
  const clients = await registry(context, options)
  const client = disabled ? await clients.disable(clientId) : await clients.enable(clientId)
  context.print(options, { client: clientView(client) }, () => clientText(client))
}

export async function listClients(context: Context, options: CommonOptions & { owner?: string }) {
  const clients = await (await registry(context, options)).list(
    options.owner === undefined ? undefined : { owner: options.owner },
  )
  context.print(options, { clients: clients.map(clientView) }, () =>
    clients.length === 0 ? 'No clients.' : clients.map(clientLine).join('\n'),
  )
}

export async function showClient(context: Context, clientId: string, options: CommonOptions) {
  const client = await (await registry(context, options)).show(clientId)
  context.print(options, { client: clientView(client) }, () => clientText(client))
}
