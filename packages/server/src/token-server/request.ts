/**
 * Reads a token request: a bounded `application/x-www-form-urlencoded` body whose parameters each
 * appear once (RFC 6749 §3.2; `resource` may repeat, RFC 8707 §2), and the client's credentials
 * from exactly one method (RFC 6749 §2.3: `client_secret_basic`, `client_secret_post`, or
 * `private_key_jwt`, RFC 7521 §4.2).
 */
import { binaryBytes } from '../clients/secrets.js'
import { claimedClient, JWT_BEARER } from './assertion.js'
import type { TokenServerRequest } from './exchange.js'
import { TokenRequestError } from './respond.js'

export interface TokenParams {
  /** Each parameter's single value; empty values count as absent (RFC 6749 §3.1). */
  single: Map<string, string>
  /** Every non-empty `resource` value, in order. */
  resources: string[]
}

export type ClientCredentials =
  | { method: 'client_secret_basic'; clientId: string; clientSecret: string }
  | { method: 'client_secret_post'; clientId: string; clientSecret: string }
  /** `clientId`: the body's `client_id`, else the assertion's (still unverified) `sub`. */
  | { method: 'private_key_jwt'; clientId: string; assertion: string }

const REPEATABLE = new Set(['resource'])
// Anything but printable ASCII goes through the UTF-8 decoder (which passes ASCII through unchanged).
const NOT_PRINTABLE_ASCII = /[^ -~]/
// Fatal: malformed UTF-8 is refused, not replaced. One decoder serves every request (no stream state).
const utf8 = new TextDecoder('utf-8', { fatal: true })

const invalid = (description: string, status = 400) =>
  new TokenRequestError('invalid_request', description, status)

export async function readTokenParams(request: TokenServerRequest, maxBytes: number): Promise<TokenParams> {
  const type = request.header('content-type')?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw invalid('The body must be application/x-www-form-urlencoded')
  }
  const bytes = await request.body(maxBytes)
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw invalid('The request body is not UTF-8')
  }
  const single = new Map<string, string>()
  const resources: string[] = []
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(text)) {
    if (REPEATABLE.has(name)) {
      if (value !== '') resources.push(value)
      continue
    }
    // A repeated parameter is refused even when one copy is empty: which one counts is ambiguous.
    if (seen.has(name)) throw invalid('A parameter appears more than once')
    seen.add(name)
    if (value !== '') single.set(name, value)
  }
  return { single, resources }
}

/** `application/x-www-form-urlencoded` decoding of one Basic credential half (RFC 6749 §2.3.1). */
function formDecode(value: string): string | undefined {
  if (!value.includes('%') && !value.includes('+')) return value
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/** The id and secret of an `Authorization: Basic` header; undefined when malformed. */
function parseBasic(header: string): { clientId: string; clientSecret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)
  if (match?.[1] === undefined) return undefined
  let decoded: string
  try {
    const binary = atob(match[1])
    // Printable ASCII (every generated id and secret) is its own UTF-8: no decoding needed.
    decoded = NOT_PRINTABLE_ASCII.test(binary) ? utf8.decode(binaryBytes(binary)) : binary
  } catch {
    return undefined
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const clientId = formDecode(decoded.slice(0, colon))
  const clientSecret = formDecode(decoded.slice(colon + 1))
  if (clientId === undefined || clientSecret === undefined || clientId === '') return undefined
  return { clientId, clientSecret }
}

const unauthenticated = () => new TokenRequestError('invalid_client', 'Client authentication failed', 401)

/** RFC 7521 §4.2: both assertion parameters, and no other credentials beside them. */
function assertionCredentials(
  params: TokenParams,
  otherMethod: boolean,
  bodyId: string | undefined,
): ClientCredentials {
  if (otherMethod) throw invalid('The client authenticated with more than one method')
  const type = params.single.get('client_assertion_type')
  const assertion = params.single.get('client_assertion')
  if (type === undefined || assertion === undefined) {
    throw invalid('client_assertion and client_assertion_type must be given together')
  }
  if (type !== JWT_BEARER) throw invalid(`The only supported client_assertion_type is ${JWT_BEARER}`)
  // The body's client_id, when given, names the client; verification then requires iss = sub = it.
  const clientId = bodyId ?? claimedClient(assertion)
  if (clientId === undefined) throw unauthenticated()
  return { method: 'private_key_jwt', clientId, assertion }
}

/**
 * The credentials of the one method the request used. None → `invalid_client` (401); two → or a
 * malformed header → `invalid_request`; a `client_id` without a secret → `invalid_client`.
 */
export function clientCredentials(request: TokenServerRequest, params: TokenParams): ClientCredentials {
  const authorization = request.header('authorization')
  const bodyId = params.single.get('client_id')
  const bodySecret = params.single.get('client_secret')
  if (params.single.has('client_assertion') || params.single.has('client_assertion_type')) {
    return assertionCredentials(params, authorization !== null || bodySecret !== undefined, bodyId)
  }
  if (authorization !== null) {
    // RFC 6749 §2.3: a client must not use more than one method in a request.
    if (bodySecret !== undefined) {
      throw invalid('The client authenticated with more than one method')
    }
    const basic = parseBasic(authorization)
    if (basic === undefined) {
      throw new TokenRequestError('invalid_client', 'Client authentication failed', 401, {
        'www-authenticate': 'Basic realm="token"',
      })
    }
    // A `client_id` beside Basic credentials is allowed only when it names the same client.
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw invalid('The client_id parameter does not match the authenticated client')
    }
    return { method: 'client_secret_basic', ...basic }
  }
  if (bodyId !== undefined && bodySecret !== undefined) {
    return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret }
  }
  throw unauthenticated()
}
