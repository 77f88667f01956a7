/** Text output of records: aligned `name  value` lines, lists joined by spaces, times in ISO 8601. */
import type { ClientRecord, KeyInfo } from '@org/auth-server'

const iso = (epochMs: number | null) => (epochMs === null ? '-' : new Date(epochMs).toISOString())
const list = (values: readonly string[]) => (values.length === 0 ? '-' : values.join(' '))

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([name]) => name.length))
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n')
}

/** What is shown of a client's public key: which key it is, never its material. */
export interface KeySummary {
  kid?: string
  kty: string
  alg?: string
}

/** A client as printed (text and JSON): its record, with `jwks` reduced to the key ids. */
export type ClientView = Omit<ClientRecord, 'jwks'> & { jwks: KeySummary[] | null }

export function clientView(client: ClientRecord): ClientView {
  const { jwks, ...rest } = client
  return {
    ...rest,
    // A private_key_jwt client's keys are public, but their material tells an operator nothing;
    // kid, kty and alg are what is needed to tell which key a deployment signs with.
    jwks:
      jwks === null
        ? null
        : jwks.keys.map(({ kid, kty, alg }) => ({
            ...(kid === undefined ? {} : { kid }),
            kty,
            ...(alg === undefined ? {} : { alg }),
          })),
  }
}

const keyText = ({ kid, kty, alg }: KeySummary) =>
  `${kid ?? '(no kid)'} (${kty}${alg === undefined ? '' : ` ${alg}`})`

export function clientText(record: ClientRecord): string {
  const client = clientView(record)
  return table([
    ['client_id', client.clientId],
    ['name', client.name],
    ['type', client.clientType],
    ['auth_method', client.tokenEndpointAuthMethod],
    ['jwks', client.jwks === null ? '-' : client.jwks.map(keyText).join(', ')],
    ['grant_types', list(client.grantTypes)],
    ['scopes', list(client.scopes)],
    ['audiences', list(client.audiences)],
    ['redirect_uris', list(client.redirectUris)],
    ['owner', client.owner ?? '-'],
    ['status', client.disabled ? 'disabled' : 'enabled'],
    ['created_at', iso(client.createdAt * 1000)],
    ['updated_at', iso(client.updatedAt * 1000)],
    ['revision', String(client.revision)],
  ])
}

/** One line per client: id, status, type, authentication method, owner, name (free text last). */
export function clientLine(client: ClientRecord): string {
  return [
    client.clientId,
    client.disabled ? 'disabled' : 'enabled ',
    client.clientType.padEnd(12),
    client.tokenEndpointAuthMethod.padEnd(19),
    (client.owner ?? '-').padEnd(12),
    client.name,
  ].join('  ')
}

/** One line per key: kid, algorithm, state (with `*` on the signing key) and its schedule. */
export function keyLine(key: KeyInfo): string {
  return [
    key.kid,
    key.alg.padEnd(5),
    `${key.state}${key.signing ? '*' : ''}`.padEnd(8),
    `activates ${iso(key.activatesAt)}`,
    `retires ${iso(key.retiredAt)}`,
    `expires ${iso(key.expiresAt)}`,
  ].join('  ')
}
