/**
 * How an `OAuthClient`'s options become its parts, checked when the client is created: unknown
 * or malformed options, endpoint URLs, the client authentication, the ID-token and logout-token
 * validators and the HTTP options.
 */
import { ConfigurationError } from '../errors.js'
import { createRemoteJwks } from '../keys/remote-jwks.js'
import type { HttpOptions } from '../lib/fetch-json.js'
import { secureUrl } from '../lib/url.js'
import { type ClientAuthentication, ClientSecretBasic, None } from './client-auth.js'
import type { OAuthClientOptions } from './client-options.js'
import { createIdTokenValidator, type IdTokenValidator, type IdTokenValidatorOptions } from './id-token.js'
import { createLogoutTokenValidator, type LogoutTokenValidator } from './logout-token.js'

const KNOWN_OPTIONS = new Set<string>([
  'metadata',
  'clientId',
  'clientAuthentication',
  'clientSecret',
  'redirectUri',
  'tokenRequestFormat',
  'pushedAuthorizationRequests',
  'idTokenAlgorithms',
  'idTokenKeys',
  'jwks',
  'leeway',
  'maxIdTokenAge',
  'trustedAudiences',
  'tokenCache',
  'mfaEndpoints',
  'allowInsecureRequests',
  'fetch',
  'timeout',
  'signal',
  'maxResponseBytes',
  'headers',
  'dpop',
])

const ENDPOINT_FIELDS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'end_session_endpoint',
  'device_authorization_endpoint',
  'pushed_authorization_request_endpoint',
  'jwks_uri',
] as const

export function clientAuthentication(options: OAuthClientOptions): ClientAuthentication {
  if (options.clientAuthentication !== undefined) {
    if (options.clientSecret !== undefined) {
      throw new ConfigurationError('Pass either "clientAuthentication" or "clientSecret", not both')
    }
    return options.clientAuthentication
  }
  return options.clientSecret === undefined ? None() : ClientSecretBasic(options.clientSecret)
}

/** What verifies the provider's signed tokens for this client: ID tokens and logout tokens, on the same keys. */
export interface TokenValidators {
  idTokens: IdTokenValidator | undefined
  logoutTokens: LogoutTokenValidator | undefined
}

export function tokenValidators(options: OAuthClientOptions): TokenValidators {
  const { metadata, idTokenKeys } = options
  const base = {
    issuer: metadata.issuer,
    clientId: options.clientId,
    ...(options.idTokenAlgorithms ? { algorithms: options.idTokenAlgorithms } : {}),
    ...(options.leeway === undefined ? {} : { leeway: options.leeway }),
    ...(options.trustedAudiences ? { trustedAudiences: options.trustedAudiences } : {}),
  }
  const idBase: IdTokenValidatorOptions = {
    ...base,
    ...(options.maxIdTokenAge === undefined ? {} : { maxIdTokenAge: options.maxIdTokenAge }),
  }
  let keys: Pick<IdTokenValidatorOptions, 'jwks' | 'publicKey'>
  if (idTokenKeys !== undefined) {
    const isKeySet = typeof idTokenKeys === 'object' && !(idTokenKeys instanceof URL) && 'keys' in idTokenKeys
    const isUrl =
      idTokenKeys instanceof URL || (typeof idTokenKeys === 'string' && /^https?:\/\//i.test(idTokenKeys))
    keys =
      isKeySet || isUrl
        ? { jwks: idTokenKeys as string | URL }
        : { publicKey: idTokenKeys as Exclude<typeof idTokenKeys, URL> }
  } else if (typeof metadata.jwks_uri === 'string') {
    // One key set for both validators: fetched, cached and refreshed once.
    keys = {
      jwks: createRemoteJwks(metadata.jwks_uri, {
        ...httpOptions(options),
        ...options.jwks,
        ...(options.allowInsecureRequests ? { allowInsecureRequests: true } : {}),
      }),
    }
  } else {
    return { idTokens: undefined, logoutTokens: undefined }
  }
  return {
    idTokens: createIdTokenValidator({ ...idBase, ...keys }),
    logoutTokens: createLogoutTokenValidator({ ...base, ...keys }),
  }
}

export function httpOptions(options: OAuthClientOptions): HttpOptions {
  const { fetch, timeout, signal, maxResponseBytes, headers } = options
  return {
    ...(fetch ? { fetch } : {}),
    ...(timeout === undefined ? {} : { timeout }),
    ...(signal ? { signal } : {}),
    ...(maxResponseBytes === undefined ? {} : { maxResponseBytes }),
    ...(headers ? { headers } : {}),
  }
}

export function checkOptions(options: OAuthClientOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new ConfigurationError('OAuthClient options are required')
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new ConfigurationError(`Unknown OAuthClient option "${key}"`)
  }
  const { metadata, clientId } = options
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.issuer !== 'string') {
    throw new ConfigurationError(
      '"metadata" is required, with at least "issuer" (or use OAuthClient.discover)',
    )
  }
  if (typeof clientId !== 'string' || clientId.length === 0)
    throw new ConfigurationError('"clientId" is required')
  for (const field of ENDPOINT_FIELDS) {
    if (metadata[field] !== undefined)
      secureUrl(metadata[field], `metadata.${field}`, options.allowInsecureRequests)
  }
  if (options.redirectUri !== undefined) secureUrl(options.redirectUri, 'redirectUri', true)
  const format = options.tokenRequestFormat
  if (format !== undefined && format !== 'form' && format !== 'json') {
    throw new ConfigurationError('"tokenRequestFormat" must be "form" or "json"')
  }
  if (
    options.pushedAuthorizationRequests &&
    typeof metadata.pushed_authorization_request_endpoint !== 'string'
  ) {
    throw new ConfigurationError(
      '"pushedAuthorizationRequests" is on but the server advertises no "pushed_authorization_request_endpoint"',
    )
  }
}
