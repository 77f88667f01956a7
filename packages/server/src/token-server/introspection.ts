/**
 * Token introspection (RFC 7662) and revocation (RFC 7009) of the access tokens this server
 * issued. Both endpoints authenticate the client exactly as the token endpoint does (same methods,
 * same throttle), then check the token with the server's own keys: only a token it signed, still
 * unexpired and not revoked, is ever "active".
 *
 * Introspection answers `{"active":false}` for every token the caller may not see, whatever the
 * reason (invalid, expired, revoked, another client's): telling the reasons apart would let a
 * client probe tokens it does not hold. Revocation answers 200 whatever the token (RFC 7009 §2.2).
 */
import { isAuthError } from '@org/auth-core'
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose'
import type { ClientRecord } from '../clients/store.js'
import { SIGNING_ALGORITHMS } from '../keys/generate.js'
import { authenticateClient } from './authenticate.js'
import type { TokenServerRequest } from './exchange.js'
import type { ResolvedTokenServer } from './options.js'
import { readTokenParams } from './request.js'
import { emptyOk, json, TokenRequestError, type TokenServerAnswer } from './respond.js'

/** The claims of one of our access tokens that introspection and revocation rely on. */
interface OwnToken extends JWTPayload {
  jti: string
  exp: number
  client_id: string
}

// Longer than any token this server signs (a few hundred characters): refused before any parsing.
const MAX_TOKEN_LENGTH = 4096
const INACTIVE = { active: false } as const

/** A store that is down: the caller may retry; the answer never says active. */
function storeFailure(error: unknown): never {
  if (isAuthError(error) && error.status === 503) {
    throw new TokenRequestError('temporarily_unavailable', 'The server is temporarily unavailable', 503, {
      'retry-after': '5',
    })
  }
  throw error
}

/**
 * The claims of a token this server issued, signature, `iss`, `typ` and `exp` checked (no
 * leeway: the server's own clock decided `exp`); `undefined` for anything else. Revocation is
 * not checked here. A key source that fails is a server failure, not an inactive token.
 */
async function ownToken(server: ResolvedTokenServer, token: string): Promise<OwnToken | undefined> {
  if (token.length > MAX_TOKEN_LENGTH) return undefined
  const jwks = createLocalJWKSet(await server.keys.publicJwks())
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(token, jwks, {
      issuer: server.issuer,
      typ: 'at+jwt',
      algorithms: [...SIGNING_ALGORITHMS],
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(server.now()),
    }))
  } catch {
    return undefined
  }
  const { jti, client_id: clientId } = payload
  if (typeof jti !== 'string' || jti === '' || typeof clientId !== 'string') return undefined
  return payload as OwnToken
}

function audiencesOf(claims: OwnToken): string[] {
  if (typeof claims.aud === 'string') return [claims.aud]
  return Array.isArray(claims.aud) ? claims.aud : []
}

/**
 * Whether `caller` may learn about the token: the client it was issued to, or a resource server
 * (a client registered with an audience) the token is meant for.
 */
function maySee(caller: ClientRecord, claims: OwnToken): boolean {
  if (caller.clientId === claims.client_id) return true
  return audiencesOf(claims).some((audience) => caller.audiences.includes(audience))
}

/** The `token` parameter after client authentication; `token_type_hint` is read by nobody. */
async function authenticatedToken(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<{ caller: ClientRecord; token: string }> {
  const params = await readTokenParams(request, server.maxBodyBytes)
  const caller = await authenticateClient(server, request, params)
  const token = params.single.get('token')
  if (token === undefined) throw new TokenRequestError('invalid_request', 'The token parameter is required')
  return { caller, token }
}

/** RFC 7662 §2: the token's state and, when the caller may see it, its claims. */
export async function introspectionEndpoint(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<TokenServerAnswer> {
  const { caller, token } = await authenticatedToken(server, request)
  const claims = await ownToken(server, token)
  if (claims === undefined || !maySee(caller, claims)) return json(INACTIVE)
  const revoked = await server.revocations.isRevoked(claims.jti).catch(storeFailure)
  if (revoked) return json(INACTIVE)
  // RFC 7662 §2.2 members, from the verified claims; `username` is absent: no user is involved.
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt
  const bound = typeof jkt === 'string'
  const answer: Record<string, unknown> = {
    active: true,
    client_id: claims.client_id,
    // RFC 9449 §6.2: a DPoP-bound token is introspected with its type and its key's thumbprint.
    token_type: bound ? 'DPoP' : 'Bearer',
    ...(bound ? { cnf: { jkt } } : {}),
    exp: claims.exp,
    iss: claims.iss,
    jti: claims.jti,
  }
  for (const name of ['scope', 'iat', 'nbf', 'sub', 'aud'] as const) {
    if (claims[name] !== undefined) answer[name] = claims[name]
  }
  return json(answer)
}

/**
 * RFC 7009 §2: revokes a token issued to the caller. Anything else (an invalid, expired, unknown
 * or foreign token) is answered the same 200 and changes nothing (§2.1, §2.2); whatever the
 * `token_type_hint`, as the server issues access tokens only.
 */
export async function revocationEndpoint(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<TokenServerAnswer> {
  const { caller, token } = await authenticatedToken(server, request)
  const claims = await ownToken(server, token)
  if (claims !== undefined && claims.client_id === caller.clientId) {
    await server.revocations.revoke(claims.jti, claims.exp).catch(storeFailure)
  }
  return emptyOk()
}

/** The RFC 8414 members of both endpoints, added to the server's metadata. */
export function withIntrospectionMetadata(
  server: ResolvedTokenServer,
  metadata: Record<string, unknown>,
): Record<string, unknown> {
  // The same client authentication as the token endpoint, whatever methods it lists.
  const methods = metadata.token_endpoint_auth_methods_supported
  const algorithms = metadata.token_endpoint_auth_signing_alg_values_supported
  return {
    ...metadata,
    introspection_endpoint: `${server.issuer}/introspect`,
    introspection_endpoint_auth_methods_supported: methods,
    ...(algorithms === undefined
      ? {}
      : { introspection_endpoint_auth_signing_alg_values_supported: algorithms }),
    revocation_endpoint: `${server.issuer}/revoke`,
    revocation_endpoint_auth_methods_supported: methods,
    ...(algorithms === undefined
      ? {}
      : { revocation_endpoint_auth_signing_alg_values_supported: algorithms }),
  }
}
