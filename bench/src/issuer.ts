/**
 * A tiny local issuer for the benchmark, run in the parent process: an RS256 and an ES256 key,
 * OpenID discovery metadata and a JWKS over plain `node:http` on 127.0.0.1, and long-lived access
 * tokens signed with each key. It counts what it serves, so a verifier that refetches the JWKS
 * shows up in the report.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { SUBJECT } from './config.js'

export interface BenchTokens {
  rs256: string
  es256: string
  /** The RS256 token with one signature character changed: well-formed, signature invalid. */
  invalid: string
}

export interface IssuerCounts {
  jwks: number
  discovery: number
  other: number
}

export interface Issuer {
  /** The issuer identifier (`iss`), e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly jwksUri: string
  readonly tokens: BenchTokens
  /** Live counters of requests served. */
  readonly counts: Readonly<IssuerCounts>
  /** An ES256 access token bound to a DPoP key (`cnf.jkt`, RFC 9449 §6.1). */
  signBound(jkt: string): Promise<string>
  close(): Promise<void>
}

const TOKEN_LIFETIME_SECONDS = 3600

interface SigningKey {
  alg: 'RS256' | 'ES256'
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

async function createSigningKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, publicJwk }
}

function signToken(
  key: SigningKey,
  issuer: string,
  audience: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ scope: 'read:bench', client_id: 'bench-client', ...extra })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(SUBJECT)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_LIFETIME_SECONDS}s`)
    .setJti(`bench-${key.alg.toLowerCase()}`)
    .sign(key.privateKey)
}

/** Changes one character in the middle of the signature: same length, still base64url, wrong bytes. */
export function corruptSignature(token: string): string {
  const dot = token.lastIndexOf('.')
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2)
  const replacement = token[at] === 'A' ? 'B' : 'A'
  return token.slice(0, at) + replacement + token.slice(at + 1)
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'public, max-age=600',
  })
  res.end(text)
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

export async function startIssuer(audience: string): Promise<Issuer> {
  const keys = [
    await createSigningKey('RS256', 'bench-rs256'),
    await createSigningKey('ES256', 'bench-es256'),
  ]
  const jwks = { keys: keys.map((key) => key.publicJwk) }
  const counts: IssuerCounts = { jwks: 0, discovery: 0, other: 0 }
  let metadata: Record<string, unknown> = {}

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/jwks') {
      counts.jwks++
      sendJson(res, jwks)
    } else if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      counts.discovery++
      sendJson(res, metadata)
    } else {
      counts.other++
      res.writeHead(404).end()
    }
  })
  const port = await listen(server)
  const url = `http://127.0.0.1:${port}`
  const jwksUri = `${url}/jwks`
  metadata = {
    issuer: url,
    jwks_uri: jwksUri,
    id_token_signing_alg_values_supported: keys.map((key) => key.alg),
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
  }
  const [rs256Key, es256Key] = keys as [SigningKey, SigningKey]
  const rs256 = await signToken(rs256Key, url, audience)
  const es256 = await signToken(es256Key, url, audience)

  return {
    url,
    jwksUri,
    tokens: { rs256, es256, invalid: corruptSignature(rs256) },
    counts,
    signBound: (jkt) => signToken(es256Key, url, audience, { cnf: { jkt } }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
