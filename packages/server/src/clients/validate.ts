/**
 * Checks of client metadata, before anything is stored. Each failure is a `ClientRegistryError`
 * with a stable code naming the field; values are not echoed (an administrator may paste a secret
 * into the wrong field).
 */
import { ClientRegistryError } from './errors.js'
import type { GrantType, TokenEndpointAuthMethod } from './store.js'

export const GRANT_TYPES: readonly GrantType[] = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
]

const MAX_ITEMS = 100
const MAX_NAME = 200
const MAX_URI = 2000
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), bounded here.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/
// Letters of every script, digits, punctuation and spaces: no control or format characters, no
// lone surrogates (`u` flag: a lone surrogate matches none of the classes).
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]+$/u

const fail = (code: string, message: string): never => {
  throw new ClientRegistryError(code, message)
}

function list(value: unknown, code: string, field: string): unknown[] {
  if (!Array.isArray(value)) return fail(code, `"${field}" must be an array`)
  if (value.length > MAX_ITEMS) fail(code, `"${field}" has more than ${MAX_ITEMS} entries`)
  if (new Set(value).size !== value.length) fail(code, `"${field}" lists an entry twice`)
  return value
}

export function checkName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME || value.trim() !== value) {
    return fail('ERR_CLIENT_NAME', `"name" must be 1 to ${MAX_NAME} characters without surrounding spaces`)
  }
  if (!PRINTABLE.test(value)) fail('ERR_CLIENT_NAME', '"name" holds control or unpaired characters')
  return value
}

export function checkOwner(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME || !PRINTABLE.test(value)) {
    return fail('ERR_CLIENT_OWNER', `"owner" must be 1 to ${MAX_NAME} printable characters, or null`)
  }
  return value
}

export function checkClientType(value: unknown): 'confidential' | 'public' {
  if (value !== 'confidential' && value !== 'public') {
    return fail('ERR_CLIENT_TYPE', '"clientType" must be "confidential" or "public"')
  }
  return value
}

export function checkGrantTypes(value: unknown): GrantType[] {
  const grants = list(value, 'ERR_CLIENT_GRANT_TYPE', 'grantTypes')
  if (grants.length === 0) fail('ERR_CLIENT_GRANT_TYPE', '"grantTypes" must name at least one grant type')
  for (const grant of grants) {
    if (!GRANT_TYPES.includes(grant as GrantType)) {
      fail('ERR_CLIENT_GRANT_TYPE', `"grantTypes" may hold only ${GRANT_TYPES.join(', ')}`)
    }
  }
  return grants as GrantType[]
}

export function checkScopes(value: unknown): string[] {
  const scopes = list(value ?? [], 'ERR_CLIENT_SCOPE', 'scopes')
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      fail(
        'ERR_CLIENT_SCOPE',
        '"scopes" must be RFC 6749 scope tokens (printable ASCII, no space, quote or backslash)',
      )
    }
  }
  return scopes as string[]
}

function absoluteUri(value: unknown, code: string, field: string): URL {
  if (typeof value !== 'string' || value.length > MAX_URI || !URL.canParse(value)) {
    return fail(code, `"${field}" must hold absolute URIs of at most ${MAX_URI} characters`)
  }
  // URL.canParse accepts surrounding spaces and tabs it strips: the stored value must be exact.
  if (/[\s\p{Cc}]/u.test(value)) fail(code, `"${field}" must not hold spaces or control characters`)
  const url = new URL(value)
  if (value.includes('#')) fail(code, `"${field}" must not hold a fragment`)
  return url
}

/** RFC 8707 resources: absolute URIs without a fragment. */
export function checkAudiences(value: unknown): string[] {
  const audiences = list(value ?? [], 'ERR_CLIENT_AUDIENCE', 'audiences')
  for (const audience of audiences) absoluteUri(audience, 'ERR_CLIENT_AUDIENCE', 'audiences')
  return audiences as string[]
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Absolute `https` URIs, or `http` on a loopback host (RFC 8252 §7.3); no fragment, no credentials. */
export function checkRedirectUris(value: unknown): string[] {
  const uris = list(value ?? [], 'ERR_CLIENT_REDIRECT_URI', 'redirectUris')
  for (const uri of uris) {
    const url = absoluteUri(uri, 'ERR_CLIENT_REDIRECT_URI', 'redirectUris')
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))
    if (!secure) fail('ERR_CLIENT_REDIRECT_URI', '"redirectUris" must be https, or http on a loopback host')
    if (url.username !== '' || url.password !== '') {
      fail('ERR_CLIENT_REDIRECT_URI', '"redirectUris" must not hold credentials')
    }
  }
  return uris as string[]
}

export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
]

/** The methods that authenticate with the registry's secret: a client may use either. */
export const SECRET_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
]

/** The given method, or the default of the type: `client_secret_basic` or `none`. */
export function checkAuthMethod(
  value: unknown,
  clientType: 'confidential' | 'public',
): TokenEndpointAuthMethod {
  if (value === undefined) return clientType === 'public' ? 'none' : 'client_secret_basic'
  if (!TOKEN_ENDPOINT_AUTH_METHODS.includes(value as TokenEndpointAuthMethod)) {
    return fail(
      'ERR_CLIENT_AUTH_METHOD',
      `"tokenEndpointAuthMethod" must be one of ${TOKEN_ENDPOINT_AUTH_METHODS.join(', ')}`,
    )
  }
  return value as TokenEndpointAuthMethod
}

/** What only makes sense together: checked on every create and update. */
export function checkCombination(client: {
  clientType: 'confidential' | 'public'
  grantTypes: GrantType[]
  redirectUris: string[]
  tokenEndpointAuthMethod: TokenEndpointAuthMethod
  jwks: unknown
}): void {
  const method = client.tokenEndpointAuthMethod
  if ((client.clientType === 'public') !== (method === 'none')) {
    fail(
      'ERR_CLIENT_AUTH_METHOD',
      'A public client authenticates with "none", and a confidential client never does',
    )
  }
  if ((method === 'private_key_jwt') !== (client.jwks !== null)) {
    fail('ERR_CLIENT_JWKS', '"jwks" is required with private_key_jwt and allowed with no other method')
  }
  if (client.clientType === 'public' && client.grantTypes.includes('client_credentials')) {
    fail('ERR_CLIENT_GRANT_TYPE', 'A public client cannot use client_credentials: it cannot authenticate')
  }
  if (client.grantTypes.includes('authorization_code') && client.redirectUris.length === 0) {
    fail('ERR_CLIENT_REDIRECT_URI', 'authorization_code needs at least one redirect URI')
  }
}

const MAX_GRACE = 30 * 24 * 3600

export function checkGracePeriod(value: unknown): number {
  if (value === undefined) return 0
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > MAX_GRACE) {
    return fail(
      'ERR_CLIENT_GRACE_PERIOD',
      `"gracePeriodSeconds" must be a whole number from 0 to ${MAX_GRACE}`,
    )
  }
  return value as number
}
