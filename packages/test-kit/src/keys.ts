import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose'

export const ISSUER = 'https://issuer.example.test'
export const AUDIENCE = 'https://api.example.test'

export interface TestKey {
  alg: string
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
  publicPem: string
}

let counter = 0

/** A fresh key pair, its public JWK (with kid/alg/use) and SPKI PEM. */
export async function makeKey(alg = 'RS256', kid = `key-${++counter}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return {
    alg,
    kid,
    privateKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  }
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** A valid access token for ISSUER/AUDIENCE unless the caller overrides claims or header. */
export function sign(
  key: TestKey,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = nowSeconds()
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now,
    exp: now + 300,
    scope: 'read write',
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey)
}

/** Assembles a compact JWS from raw parts, for headers and payloads no signer would produce. */
export function forge(header: unknown, payload: unknown, signature = 'c2lnbmF0dXJl'): string {
  const encode = (value: unknown) =>
    typeof value === 'string' ? value : base64url.encode(new TextEncoder().encode(JSON.stringify(value)))
  return `${encode(header)}.${encode(payload)}.${signature}`
}

/** Re-signs `token`'s header+payload with HMAC-SHA256 keyed by `secret`: the classic key-confusion forgery. */
export async function hmacForge(
  header: Record<string, unknown>,
  payload: JWTPayload,
  secret: string,
): Promise<string> {
  const encoder = new TextEncoder()
  const input = `${base64url.encode(encoder.encode(JSON.stringify(header)))}.${base64url.encode(encoder.encode(JSON.stringify(payload)))}`
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(input)))
  return `${input}.${base64url.encode(mac)}`
}
