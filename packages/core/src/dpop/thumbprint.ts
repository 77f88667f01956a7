import type { JWK } from 'jose'
import { ConfigurationError } from '../errors.js'
import { LruCache } from '../lib/lru.js'
import { sha256Base64url } from '../lib/sha256.js'

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

/** Thumbprints by their RFC 7638 input: a client signs every request with the same key. */
const thumbprints = new LruCache<string>(1000)

/**
 * The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK: what `cnf.jkt` holds (RFC 9449
 * §6.1). The hash input is the required members in lexicographic order, as JSON without
 * whitespace; `jwk` must be one {@link publicJwkOf} returned (its members are strings).
 */
export async function jwkThumbprint(jwk: JWK): Promise<string> {
  const record = jwk as Record<string, unknown>
  const kty = record['kty']
  const required =
    typeof kty === 'string' && Object.hasOwn(PUBLIC_MEMBERS, kty) ? PUBLIC_MEMBERS[kty] : undefined
  if (required === undefined || !required.every((name) => typeof record[name] === 'string')) {
    throw new ConfigurationError('jwkThumbprint() takes an RSA, EC or OKP public JWK')
  }
  const members = ['kty', ...required].sort()
  const input = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(record[name])}`).join(',')}}`
  const known = thumbprints.get(input)
  if (known !== undefined) return known
  const thumbprint = await sha256Base64url(input)
  thumbprints.set(input, thumbprint)
  return thumbprint
}
