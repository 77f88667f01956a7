/**
 * `createTokenServer`: an OAuth 2.0 authorization server for machine-to-machine clients, as a Web
 * `(Request) => Promise<Response>` handler any adapter can mount or Node can run standalone. It
 * issues RFC 9068 JWT access tokens for the client-credentials grant, introspects (RFC 7662) and
 * revokes (RFC 7009) them, and publishes its keys and its RFC 8414 metadata. Routes are matched on
 * the path relative to the issuer's path; the host is not checked (a proxy may rewrite it).
 */

import { ASSERTION_ALGORITHMS } from '../clients/jwks.js'
import { authenticateClient } from './authenticate.js'
import { proofThumbprint } from './dpop.js'
import { introspectionEndpoint, revocationEndpoint, withIntrospectionMetadata } from './introspection.js'
import { grantedAudiences, grantedScopes, signAccessToken } from './issue.js'
import { type ResolvedTokenServer, resolveOptions, type TokenServerOptions } from './options.js'
import { readTokenParams } from './request.js'
import { cacheable, errorResponse, json, TokenRequestError } from './respond.js'

export type TokenServerHandler = (request: Request) => Promise<Response>

const METADATA_PATH = '/.well-known/oauth-authorization-server'
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

async function tokenEndpoint(server: ResolvedTokenServer, request: Request): Promise<Response> {
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

/** The token server's handler. Throws `ConfigurationError` on invalid options. */
export function createTokenServer(options: TokenServerOptions): TokenServerHandler {
  const server = resolveOptions(options)
  return async (request) => {
    const path = new URL(request.url).pathname
    try {
      if (path === `${server.basePath}/token`) {
        if (request.method !== 'POST') {
          throw new TokenRequestError('invalid_request', 'The token endpoint takes POST only', 405, {
            allow: 'POST',
          })
        }
        return await tokenEndpoint(server, request)
      }
      // RFC 7662 introspection and RFC 7009 revocation: POST only, like the token endpoint.
      const isIntrospection = path === `${server.basePath}/introspect`
      if (isIntrospection || path === `${server.basePath}/revoke`) {
        if (request.method !== 'POST') {
          throw new TokenRequestError('invalid_request', 'This endpoint takes POST only', 405, {
            allow: 'POST',
          })
        }
        return await (isIntrospection ? introspectionEndpoint : revocationEndpoint)(server, request)
      }
      const isJwks = path === `${server.basePath}/jwks.json`
      const isMetadata = path === `${METADATA_PATH}${server.basePath}`
      if (isJwks || isMetadata) {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          return json({ error: 'invalid_request', error_description: 'GET only' }, 405, {
            allow: 'GET, HEAD',
          })
        }
        const body = isJwks
          ? await server.keys.publicJwks()
          : withIntrospectionMetadata(server, metadata(server))
        const response = cacheable(body, PUBLIC_MAX_AGE)
        return request.method === 'HEAD' ? new Response(null, response) : response
      }
      return json({ error: 'not_found', error_description: 'No such endpoint' }, 404)
    } catch (error) {
      if (error instanceof TokenRequestError) return errorResponse(error)
      // A store or key source failed: say so without detail (it could name a host or a query).
      return json({ error: 'server_error', error_description: 'The server could not answer' }, 500)
    }
  }
}
