import { importJWK, type JWK, SignJWT } from 'jose'
import { ConfigurationError } from '../errors.js'
import { SUPPORTED_ALGORITHMS } from '../keys/algorithms.js'
import { randomToken } from './pkce.js'

/** What a client authentication strategy adds to one back-channel request. */
export interface ClientAuthRequest {
  clientId: string
  /** The authorization server's issuer identifier: the audience of a client assertion. */
  issuer: string
  /** Body parameters; a strategy may add its own (`client_secret`, `client_assertion`). */
  params: Record<string, string | readonly string[]>
  /** Request headers; a strategy may add `authorization`. */
  headers: Record<string, string>
}

/**
 * How the client proves its identity at the token endpoint and the other back-channel endpoints
 * (RFC 6749 §2.3, OpenID Connect Core §9). Create one with {@link ClientSecretBasic},
 * {@link ClientSecretPost}, {@link PrivateKeyJwt} or {@link None}.
 */
export interface ClientAuthentication {
  /** The `token_endpoint_auth_method` name. */
  readonly method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none'
  apply(request: ClientAuthRequest): void | Promise<void>
}

function requireSecret(secret: unknown, strategy: string): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new ConfigurationError(`${strategy} needs the client secret (a non-empty string)`)
  }
  return secret
}

/** application/x-www-form-urlencoded encoding of one value, as RFC 6749 §2.3.1 requires for Basic. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

function base64(text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * HTTP Basic with the client id and secret, each form-encoded first (RFC 6749 §2.3.1), the
 * default of RFC 8414. Secrets with `:`, `%` or non-ASCII characters survive the encoding.
 */
export function ClientSecretBasic(clientSecret: string): ClientAuthentication {
  const secret = requireSecret(clientSecret, 'ClientSecretBasic')
  return {
    method: 'client_secret_basic',
    apply({ clientId, headers }) {
      headers['authorization'] = `Basic ${base64(`${formEncode(clientId)}:${formEncode(secret)}`)}`
    },
  }
}

/** `client_id` and `client_secret` in the request body (RFC 6749 §2.3.1, the less preferred form). */
export function ClientSecretPost(clientSecret: string): ClientAuthentication {
  const secret = requireSecret(clientSecret, 'ClientSecretPost')
  return {
    method: 'client_secret_post',
    apply({ clientId, params }) {
      params['client_id'] = clientId
      params['client_secret'] = secret
    },
  }
}

/** A public client (a SPA, a CLI, a device): it sends only its `client_id` and relies on PKCE. */
export function None(): ClientAuthentication {
  return {
    method: 'none',
    apply({ clientId, params }) {
      params['client_id'] = clientId
    },
  }
}

export interface PrivateKeyJwtOptions {
  /** Signing algorithm. Default: the JWK's `alg`, else inferred from the key (RS256, ES256/384/512, EdDSA). */
  alg?: string
  /** `kid` header of the assertion. Default: the JWK's `kid`, if any. */
  kid?: string
  /** Lifetime of each assertion in seconds. Default: 60. */
  lifetime?: number
}

const CURVE_ALGORITHMS: Record<string, string> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
}

function inferAlgorithm(key: CryptoKey | JWK): string | undefined {
  if (!(key instanceof CryptoKey)) {
    if (key.alg) return key.alg
    if (key.kty === 'RSA') return 'RS256'
    return key.crv === undefined ? undefined : CURVE_ALGORITHMS[key.crv]
  }
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } }
  const bits = algorithm.hash?.name.replace('SHA-', '')
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return `RS${bits}`
  if (algorithm.name === 'RSA-PSS') return `PS${bits}`
  if (algorithm.name === 'ECDSA') return CURVE_ALGORITHMS[algorithm.namedCurve ?? '']
  if (algorithm.name === 'Ed25519') return 'EdDSA'
  return undefined
}

/**
 * A client assertion signed with the client's private key (RFC 7523 §2.2, OpenID Connect Core
 * §9): `iss` and `sub` are the client id, `aud` the issuer identifier (which every current
 * server accepts, and the only value draft-ietf-oauth-rfc7523bis allows), a fresh `jti` each time.
 * The key is a private `CryptoKey` or a private JWK; it is checked here, not at the first request.
 */
export function PrivateKeyJwt(
  privateKey: CryptoKey | JWK,
  options: PrivateKeyJwtOptions = {},
): ClientAuthentication {
  const isCryptoKey = typeof CryptoKey !== 'undefined' && privateKey instanceof CryptoKey
  if (
    isCryptoKey ? (privateKey as CryptoKey).type !== 'private' : typeof (privateKey as JWK)?.d !== 'string'
  ) {
    throw new ConfigurationError('PrivateKeyJwt needs a private key (a private CryptoKey or a JWK with "d")')
  }
  if (!isCryptoKey && (privateKey as JWK).kty === 'oct') {
    throw new ConfigurationError(
      'PrivateKeyJwt needs an asymmetric key; use ClientSecretBasic for a shared secret',
    )
  }
  const alg = options.alg ?? inferAlgorithm(privateKey)
  if (alg === undefined) {
    throw new ConfigurationError('PrivateKeyJwt cannot tell the signing algorithm: pass { alg }')
  }
  if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new ConfigurationError(`PrivateKeyJwt needs an asymmetric JWS algorithm, not "${alg}"`)
  }
  const lifetime = options.lifetime ?? 60
  if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > 600) {
    throw new ConfigurationError('"lifetime" must be an integer number of seconds between 1 and 600')
  }
  const kid = options.kid ?? (isCryptoKey ? undefined : (privateKey as JWK).kid)
  let key: Promise<CryptoKey | Uint8Array> | undefined
  return {
    method: 'private_key_jwt',
    async apply({ clientId, issuer, params }) {
      key ??= isCryptoKey ? Promise.resolve(privateKey as CryptoKey) : importJWK(privateKey as JWK, alg)
      const now = Math.floor(Date.now() / 1000)
      params['client_id'] = clientId
      params['client_assertion_type'] = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
      params['client_assertion'] = await new SignJWT({})
        .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(issuer)
        .setJti(randomToken(16))
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime)
        .sign(await key)
    },
  }
}
