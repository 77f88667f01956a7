/**
 * The token server's endpoints, on the transport-neutral request view (exchange.ts): the token
 * endpoint (client credentials, RFC 6749 §4.4, RFC 9068 tokens), introspection (RFC 7662),
 * revocation (RFC 7009), the JWKS and the RFC 8414 metadata. Routes are matched on the path
 * relative to the issuer's path; the host is not checked (a proxy may rewrite it).
 */
import { ASSERTION_ALGORITHMS } from '../clients/jwks.js'
import { authenticateClient } from './authenticate.js'
import { proofThumbprint } from './dpop.js'
import type { TokenServerRequest } from './exchange.js'
import { introspectionEndpoint, revocationEndpoint, withIntrospectionMetadata } from './introspection.js'
import { grantedAudiences, grantedScopes, signAccessToken } from './issue.js'
import type { ResolvedTokenServer } from './options.js'
import { readTokenParams } from './request.js'
import { cacheable, errorResponse, json, TokenRequestError, type TokenServerAnswer } from './respond.js'

// Keys and metadata change rarely, and a new key is published before it signs: a minute of
// caching delays nothing a verifier needs.
const PUBLIC_MAX_AGE = 60

function metadata(server: ResolvedTokenServer): Record<string, unknown> {
  return {
    issuer: server.issuer,
    token_endpoint: `${server.issuer}/token`,
    jwks_uri: `${server.issuer}/jwks.json`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    // RFC 8414 §2: the algorithms a private_key_jwt assertion may be signed with (never "none").
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    // No authorization endpoint: no response type is supported (RFC 8414 §2 requires the member).
    response_types_supported: [],
    // RFC 9449 §5.1: the proof algorithms the token endpoint accepts.
    ...(server.dpop.mode === 'disabled'
      ? {}
      : { dpop_signing_alg_values_supported: [...server.dpop.algorithms] }),
  }
}

async function tokenEndpoint(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<TokenServerAnswer> {
  const params = await readTokenParams(request, server.maxBodyBytes)
  const grantType = params.single.get('grant_type')
  if (grantType === undefined) throw new TokenRequestError('invalid_request', 'grant_type is required')
  if (grantType !== 'client_credentials') {
    throw new TokenRequestError('unsupported_grant_type', 'Only client_credentials is supported')
  }
  const client = await authenticateClient(server, request, params)
  if (!client.grantTypes.includes('client_credentials')) {
    throw new TokenRequestError('unauthorized_client', 'This client may not use the client_credentials grant')
  }
  const scopes = grantedScopes(client, params.single.get('scope'))
  const audiences = grantedAudiences(client, params.resources)
  // After the client and the grant are settled: a refused request spends no proof.
  const jkt = await proofThumbprint(server, request)
  const { token, expiresIn } = await signAccessToken(server, client, scopes, audiences, jkt)
  return json({
    access_token: token,
    token_type: jkt === undefined ? 'Bearer' : 'DPoP',
    expires_in: expiresIn,
    ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
  })
}

const postOnly = (description: string) =>
  new TokenRequestError('invalid_request', description, 405, { allow: 'POST' })

async function route(server: ResolvedTokenServer, request: TokenServerRequest): Promise<TokenServerAnswer> {
  const { path, method } = request
  if (path === server.paths.token) {
    if (method !== 'POST') throw postOnly('The token endpoint takes POST only')
    return await tokenEndpoint(server, request)
  }
  // RFC 7662 introspection and RFC 7009 revocation: POST only, like the token endpoint.
  const isIntrospection = path === server.paths.introspect
  if (isIntrospection || path === server.paths.revoke) {
    if (method !== 'POST') throw postOnly('This endpoint takes POST only')
    return await (isIntrospection ? introspectionEndpoint : revocationEndpoint)(server, request)
  }
  const isJwks = path === server.paths.jwks
  if (isJwks || path === server.paths.metadata) {
    if (method !== 'GET' && method !== 'HEAD') {
      return json({ error: 'invalid_request', error_description: 'GET only' }, 405, { allow: 'GET, HEAD' })
    }
    const body = isJwks ? await server.keys.publicJwks() : withIntrospectionMetadata(server, metadata(server))
    const answer = cacheable(body, PUBLIC_MAX_AGE)
    return method === 'HEAD' ? { ...answer, body: null } : answer
  }
  return json({ error: 'not_found', error_description: 'No such endpoint' }, 404)
}

/** Every endpoint's answer; refusals as RFC 6749 §5.2 JSON, any other failure a bare 500. */
export async function answerTokenServerRequest(
  server: ResolvedTokenServer,
  request: TokenServerRequest,
): Promise<TokenServerAnswer> {
  try {
    return await route(server, request)
  } catch (error) {
    if (error instanceof TokenRequestError) return errorResponse(error)
    // A store or key source failed: say so without detail (it could name a host or a query).
    return json({ error: 'server_error', error_description: 'The server could not answer' }, 500)
  }
}
