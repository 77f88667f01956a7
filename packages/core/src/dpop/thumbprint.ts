import { calculateJwkThumbprint, type JWK } from 'jose'

/** The members of a public key that RFC 7638 hashes and Web Crypto imports, by key type. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  RSA: ['e', 'n'],
}

/**
 * Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2):
 * a proof whose `jwk` carries any of them is refused, whatever else it holds.
 */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * The public key of a DPoP proof header, reduced to its RFC 7638 members (`kty` and those of
 * {@link PUBLIC_MEMBERS}, all strings), or a reason why it is not one.
 */
export function publicJwkOf(value: unknown): JWK | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'the "jwk" header is not a JWK'
  const jwk = value as Record<string, unknown>
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) return 'the "jwk" header holds private or symmetric key material'
  }
  const kty = jwk['kty']
  const members =
    typeof kty === 'string' && Object.hasOwn(PUBLIC_MEMBERS, kty) ? PUBLIC_MEMBERS[kty] : undefined
  if (members === undefined) return 'the "jwk" header is not an RSA, EC or OKP public key'
  const key: Record<string, string> = { kty: kty as string }
  for (const member of members) {
    const part = jwk[member]
    if (typeof part !== 'string' || part.length === 0 || part.length > 1400)
      return `the "jwk" header lacks a valid "${member}"`
    key[member] = part
  }
  return key as JWK
}

/** The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: what `cnf.jkt` holds (RFC 9449 §6.1). */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}
