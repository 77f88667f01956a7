/**
 * Decides what a client gets (scopes, audiences) and signs the RFC 9068 JWT access token.
 */
import { randomIdentifier } from '@org/auth-core/delegation'
import type { ClientRecord } from '../clients/store.js'
import type { ResolvedTokenServer } from './options.js'
import { TokenRequestError } from './respond.js'
import { signJwt } from './sign-jwt.js'

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/

/**
 * The scopes granted: the requested ones when every one is allowed, or, when none is requested,
 * every scope the client is allowed (RFC 6749 §3.3 lets a server apply a pre-defined default).
 */
export function grantedScopes(client: ClientRecord, requested: string | undefined): string[] {
  if (requested === undefined) return [...client.scopes]
  if (!SCOPE.test(requested)) throw new TokenRequestError('invalid_scope', 'The scope parameter is malformed')
  const scopes = [...new Set(requested.split(' '))]
  if (!scopes.every((scope) => client.scopes.includes(scope))) {
    throw new TokenRequestError('invalid_scope', 'A requested scope is not allowed for this client')
  }
  return scopes
}

/**
 * The audiences: the requested resources when every one is allowed (RFC 8707 §2). Without a
 * `resource`, the client's only allowed audience when it has exactly one; a client allowed several
 * must say which it wants, rather than get a token valid at all of them.
 */
export function grantedAudiences(client: ClientRecord, resources: readonly string[]): string[] {
  if (resources.length === 0) {
    const [only] = client.audiences
    if (client.audiences.length === 1 && only !== undefined) return [only]
    throw new TokenRequestError(
      'invalid_target',
      client.audiences.length === 0
        ? 'This client is not allowed any resource'
        : 'The resource parameter is required for this client',
    )
  }
  const audiences = [...new Set(resources)]
  if (!audiences.every((resource) => client.audiences.includes(resource))) {
    throw new TokenRequestError('invalid_target', 'A requested resource is not allowed for this client')
  }
  return audiences
}

export async function signAccessToken(
  server: ResolvedTokenServer,
  client: ClientRecord,
  scopes: readonly string[],
  audiences: readonly string[],
  jkt?: string,
): Promise<{ token: string; expiresIn: number }> {
  const key = await server.keys.signingKey()
  const iat = Math.floor(server.now() / 1000)
  const payload: Record<string, unknown> = {
    iss: server.issuer,
    sub: client.clientId,
    aud: audiences.length === 1 ? audiences[0] : [...audiences],
    exp: iat + server.accessTokenTtl,
    iat,
    jti: randomIdentifier(),
    client_id: client.clientId,
  }
  if (scopes.length > 0) payload.scope = scopes.join(' ')
  // RFC 9449 §6.1: a DPoP-bound token names its key's thumbprint.
  if (jkt !== undefined) payload.cnf = { jkt }
  // RFC 9068 §2.1: the `at+jwt` type keeps an access token from being taken for an ID token.
  const token = await signJwt('at+jwt', payload, key)
  return { token, expiresIn: server.accessTokenTtl }
}
