/**
 * DPoP proofs for the load: one fresh proof per request (a proof's `jti` is single-use), signed
 * ahead of the measured run with `node:crypto` so the load generator spends nothing on them.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto'

export interface ProofKey {
  privateKey: KeyObject
  /** The public JWK of the proof header. */
  jwk: Record<string, string>
  /** RFC 7638 SHA-256 thumbprint: the bound token's `cnf.jkt`. */
  jkt: string
}

const b64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url')

export function makeProofKey(): ProofKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { crv, kty, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>
  const jwk = { crv: crv as string, kty: kty as string, x: x as string, y: y as string }
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const jkt = b64url(createHash('sha256').update(JSON.stringify(jwk)).digest())
  return { privateKey, jwk, jkt }
}

/** `count` proofs for `GET url` with `token`, each with its own `jti`, all issued now. */
export function signProofs(key: ProofKey, url: string, token: string, count: number): string[] {
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }))
  const ath = b64url(createHash('sha256').update(token).digest())
  const iat = Math.floor(Date.now() / 1000)
  const proofs = new Array<string>(count)
  for (let i = 0; i < count; i++) {
    const payload = b64url(
      JSON.stringify({ jti: randomBytes(12).toString('base64url'), htm: 'GET', htu: url, iat, ath }),
    )
    const input = `${header}.${payload}`
    const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    proofs[i] = `${input}.${b64url(signature)}`
  }
  return proofs
}
