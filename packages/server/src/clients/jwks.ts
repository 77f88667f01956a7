/**
 * The public keys of a `private_key_jwt` client (RFC 7591 `jwks`, RFC 7523 §2.2): what verifies
 * its client assertions. Only public, asymmetric signing keys are accepted, each imported once by
 * jose so a key that cannot verify is refused at registration rather than at the first request.
 * The stored copy keeps the members a verifier needs and nothing else (no `x5c` or other baggage).
 */
import { importJWK, type JWK } from 'jose'
import { ClientRegistryError } from './errors.js'

/** The signature algorithms a client assertion may use: asymmetric only, never `HS*` or `none`. */
export const ASSERTION_ALGORITHMS = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const

/** A public signing key of a client, as stored. */
export interface ClientJwk {
  kty: 'RSA' | 'EC' | 'OKP'
  kid?: string
  use?: 'sig'
  alg?: (typeof ASSERTION_ALGORITHMS)[number]
  key_ops?: string[]
  /** RSA modulus and exponent. */
  n?: string
  e?: string
  /** EC and OKP curve and coordinates. */
  crv?: string
  x?: string
  y?: string
}

export const MAX_KEYS = 10
/** The JSON of the whole set; an RSA-4096 public key is about 750 bytes. */
const MAX_JWKS_BYTES = 16_384
const MAX_KID = 256
const MIN_RSA_BITS = 2048
// Private or symmetric material: refused outright, so a pasted private key is never stored.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y'] as const
const B64URL = /^[A-Za-z0-9_-]+$/
// The algorithm each curve is imported under (a curve fixes its ECDSA or EdDSA algorithm).
const CURVE_ALGORITHM: Record<string, string> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
}

const fail = (message: string): never => {
  throw new ClientRegistryError('ERR_CLIENT_JWKS', message)
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The algorithm to import `jwk` under: its own `alg`, or the one its type and curve imply. */
function importAlgorithm(jwk: Record<string, unknown>): string {
  if (jwk['alg'] !== undefined) {
    if (!(ASSERTION_ALGORITHMS as readonly unknown[]).includes(jwk['alg'])) {
      fail(`"jwks" keys may only name the algorithms ${ASSERTION_ALGORITHMS.join(', ')}`)
    }
    return jwk['alg'] as string
  }
  if (jwk['kty'] === 'RSA') return 'RS256'
  const algorithm = typeof jwk['crv'] === 'string' ? CURVE_ALGORITHM[jwk['crv']] : undefined
  return algorithm ?? fail('"jwks" EC keys must use P-256, P-384 or P-521, and OKP keys Ed25519')
}

async function checkKey(value: unknown): Promise<ClientJwk> {
  if (!isObject(value)) return fail('"jwks" keys must be JSON Web Key objects')
  for (const member of PRIVATE_MEMBERS) {
    if (member in value) fail('"jwks" must hold public keys only (no private or symmetric key material)')
  }
  const kty = value['kty']
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') {
    fail('"jwks" keys must have kty RSA, EC or OKP (asymmetric signing keys)')
  }
  if (value['kid'] !== undefined) {
    const kid = value['kid']
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID || /\p{Cc}/u.test(kid)) {
      fail(`"jwks" key ids must be 1 to ${MAX_KID} characters without control characters`)
    }
  }
  if (value['use'] !== undefined && value['use'] !== 'sig') fail('"jwks" keys must be for use "sig"')
  const ops = value['key_ops']
  if (ops !== undefined && !(Array.isArray(ops) && ops.length === 1 && ops[0] === 'verify')) {
    fail('"jwks" key_ops, when given, must be ["verify"]')
  }
  for (const member of ['n', 'e', 'x', 'y'] as const) {
    const part = value[member]
    if (part !== undefined && (typeof part !== 'string' || !B64URL.test(part))) {
      fail('"jwks" key coordinates must be base64url')
    }
  }
  // 2048 bits are 256 bytes, 342 base64url characters.
  if (
    kty === 'RSA' &&
    typeof value['n'] === 'string' &&
    value['n'].length < Math.ceil((MIN_RSA_BITS / 8) * (4 / 3))
  ) {
    fail(`"jwks" RSA keys must be at least ${MIN_RSA_BITS} bits`)
  }
  const algorithm = importAlgorithm(value)
  const kept: Record<string, unknown> = {}
  for (const member of PUBLIC_MEMBERS) if (value[member] !== undefined) kept[member] = value[member]
  try {
    const key = await importJWK(kept as JWK, algorithm)
    if (!(key instanceof CryptoKey) || key.type !== 'public') throw new TypeError('not a public key')
  } catch {
    // jose says why (wrong curve for the alg, short RSA modulus, bad point); the code is enough here.
    fail('"jwks" holds a key that cannot verify signatures (check kty, crv, alg and the key material)')
  }
  return kept as unknown as ClientJwk
}

/** A checked copy of a JWK Set (`{ keys: [...] }`) of 1 to `MAX_KEYS` public signing keys. */
export async function checkJwks(value: unknown): Promise<{ keys: ClientJwk[] }> {
  if (!isObject(value) || !Array.isArray(value['keys'])) {
    return fail('"jwks" must be a JWK Set: an object with a "keys" array')
  }
  let size: number
  try {
    size = JSON.stringify(value).length
  } catch {
    return fail('"jwks" must be JSON')
  }
  if (size > MAX_JWKS_BYTES) fail(`"jwks" must be at most ${MAX_JWKS_BYTES} characters of JSON`)
  const keys = value['keys'] as unknown[]
  if (keys.length === 0 || keys.length > MAX_KEYS) fail(`"jwks" must hold 1 to ${MAX_KEYS} keys`)
  const checked: ClientJwk[] = []
  for (const key of keys) checked.push(await checkKey(key))
  // A kid must pick one key; two keys without kid are allowed (the verifier tries each).
  const kids = checked.flatMap((key) => (key.kid === undefined ? [] : [key.kid]))
  if (new Set(kids).size !== kids.length) fail('"jwks" lists a kid twice')
  return { keys: checked }
}
