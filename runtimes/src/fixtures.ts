// The Node side of every runtime test: keys made for this run, a JWKS served on loopback http
// (the core allows plain http there), and the tokens a runtime is asked to verify or refuse.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { ALGORITHMS, type Algorithm, type CheckInput } from './report.js'

export const ISSUER = 'https://issuer.runtime-tests.example'
export const AUDIENCE = 'api://runtime-tests'

/** The `sub` of the valid token signed with `alg`: tells the claims of each token apart. */
export function subjectOf(alg: Algorithm): string {
  return `user-${alg.toLowerCase()}`
}

export interface Fixtures {
  input: CheckInput
  /** The JWKS port: Deno is allowed this one and no other. */
  port: number
  /** JWKS requests served so far: proof the runtime fetched the keys itself. */
  jwksRequests(): number
  close(): Promise<void>
}

interface SigningKey {
  alg: Algorithm
  kid: string
  privateKey: CryptoKey
  jwk: JWK
}

async function signingKey(alg: Algorithm, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    alg === 'EdDSA' ? { crv: 'Ed25519' } : undefined,
  )
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }
  return { alg, kid, privateKey, jwk }
}

function accessToken(key: SigningKey, claims: { sub: string; aud?: string }): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key.privateKey)
}

/**
 * Flips one bit of the signature, well inside it: near either end, a flip could push an RSA or
 * EdDSA value out of range, which a runtime might report as an error instead of a mismatch.
 */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.')
  const bytes = Buffer.from(signature ?? '', 'base64url')
  bytes.writeUInt8(bytes.readUInt8(10) ^ 1, 10)
  return `${header}.${payload}.${bytes.toString('base64url')}`
}

/** Replaces the header of a signed token, keeping its payload and signature segments. */
function withHeader(token: string, header: object): string {
  const [, payload, signature] = token.split('.')
  const encoded = Buffer.from(JSON.stringify(header)).toString('base64url')
  return `${encoded}.${payload}.${signature}`
}

function byAlgorithm(make: (alg: Algorithm) => string): Record<Algorithm, string> {
  return Object.fromEntries(ALGORITHMS.map((alg) => [alg, make(alg)])) as Record<Algorithm, string>
}

/** Signs the tokens and starts the JWKS server on 127.0.0.1 (a free port). */
export async function startFixtures(): Promise<Fixtures> {
  const keys = await Promise.all(ALGORITHMS.map((alg) => signingKey(alg, `key-${alg.toLowerCase()}`)))
  // Never published: its tokens name a kid the JWKS does not hold.
  const outsider = await signingKey('ES256', 'key-not-published')
  const signed = await Promise.all(keys.map((key) => accessToken(key, { sub: subjectOf(key.alg) })))
  const valid = byAlgorithm((alg) => signed[ALGORITHMS.indexOf(alg)] as string)
  const rsa = keys[0] as SigningKey
  const jwks = JSON.stringify({ keys: keys.map((key) => key.jwk) })

  let requests = 0
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === '/jwks') {
      requests += 1
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwks)
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const noneHeader = { alg: 'none', typ: 'at+jwt', kid: rsa.kid }
  const algNone = withHeader(valid.RS256, noneHeader)
  const input: CheckInput = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    valid,
    tampered: byAlgorithm((alg) => tamper(valid[alg])),
    refused: {
      algNone,
      algNoneUnsigned: algNone.slice(0, algNone.lastIndexOf('.') + 1),
      wrongAudience: await accessToken(rsa, { sub: 'user-elsewhere', aud: 'api://another-service' }),
      unknownKid: await accessToken(outsider, { sub: 'user-outsider' }),
    },
  }
  return {
    input,
    port,
    jwksRequests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
