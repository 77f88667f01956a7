/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2): the client signs
 * a short-lived JWT about itself with a private key whose public half it registered (`jwks`).
 *
 * Order matters. The signature is verified BEFORE the `jti` is recorded as used: recording first
 * would let anyone who sees (or guesses) an assertion's `jti` burn it with an unsigned copy and so
 * refuse the real client. The lifetime is bounded so that the single-use record of a `jti` is too.
 */
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose'
import { ASSERTION_ALGORITHMS } from '../clients/jwks.js'
import type { ClientRecord } from '../clients/store.js'
import { nativeCrypto } from '../native-crypto.js'
import type { ResolvedTokenServer } from './options.js'

/** `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2). */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. */
export const ASSERTION_LEEWAY = 30
/** Latest accepted `exp`: at most this many seconds (plus the leeway) after now. */
export const MAX_ASSERTION_LIFETIME = 300

const encoder = new TextEncoder()

/**
 * The client an assertion claims to come from (its `sub`), read WITHOUT verification: only to
 * know which client's keys to try and which throttle counter to count. Undefined when unreadable.
 */
export function claimedClient(assertion: string): string | undefined {
  try {
    const sub = decodeJwt(assertion).sub
    return typeof sub === 'string' && sub !== '' ? sub : undefined
  } catch {
    return undefined
  }
}

// jose's local key set imports each key once, on first use: one set per distinct JWKS (a client
// that rotates its keys gets a new one), so the import is not repeated on every request.
const keySets = new Map<string, ReturnType<typeof createLocalJWKSet>>()
const MAX_KEY_SETS = 1000

// The same record object (the registry's cache hands one out for its period) skips serialising it.
const byObject = new WeakMap<JSONWebKeySet, ReturnType<typeof createLocalJWKSet>>()

function keySetOf(jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  const known = byObject.get(jwks)
  if (known !== undefined) return known
  const id = JSON.stringify(jwks)
  let set = keySets.get(id)
  if (set === undefined) {
    if (keySets.size >= MAX_KEY_SETS) keySets.delete(keySets.keys().next().value as string)
    set = createLocalJWKSet(jwks)
    keySets.set(id, set)
  }
  byObject.set(jwks, set)
  return set
}

/** The `OneTimeStore` key of a used `jti`: hashed (the store may be read by others), per client. */
async function usedKey(clientId: string, jti: string): Promise<string> {
  // The core's key shape, `org-auth:<purpose>:<SHA-256>`; the NUL keeps id and jti apart.
  const input = `${clientId}\u0000${jti}`
  const native = nativeCrypto()
  const digest =
    native === null
      ? await crypto.subtle.digest('SHA-256', encoder.encode(input))
      : native.createHash('sha256').update(input).digest()
  return `org-auth:client-assertion:${btoa(String.fromCharCode(...new Uint8Array(digest)))}`
}

/**
 * The client when `assertion` is a valid, unused assertion of `clientId`; otherwise undefined
 * (never a reason: the endpoint answers the same `invalid_client` whatever failed). A failing
 * replay store throws, and the endpoint answers 500: without the replay check nothing passes.
 */
export async function verifyAssertion(
  server: ResolvedTokenServer,
  clientId: string,
  assertion: string,
): Promise<ClientRecord | undefined> {
  const client = await server.clients.assertionClient(clientId)
  if (client?.jwks == null) return undefined
  const now = Math.floor(server.now() / 1000)
  let claims: Record<string, unknown>
  try {
    // jose selects the key by `kid` when present (else tries each key usable with the `alg`),
    // refuses any algorithm outside the list (so `none` and `HS*`), and checks iss, sub, aud,
    // exp and nbf with the leeway.
    const verified = await jwtVerify(assertion, keySetOf(client.jwks as JSONWebKeySet), {
      algorithms: [...ASSERTION_ALGORITHMS],
      issuer: clientId,
      subject: clientId,
      // RFC 7523 §3 item 3: the issuer identifier, or the token endpoint's URL.
      audience: [server.issuer, `${server.issuer}/token`],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: ASSERTION_LEEWAY,
      currentDate: new Date(server.now()),
    })
    claims = verified.payload
  } catch {
    return undefined
  }
  // draft-ietf-oauth-rfc7523bis: `aud` is the issuer identifier alone, as a string. An assertion
  // naming several audiences, or an endpoint URL, could have been made for another server that
  // lists ours beside its own (the 2025 audience-injection disclosure) and replayed here.
  const audiences = server.acceptTokenEndpointAudience
    ? [server.issuer, `${server.issuer}/token`]
    : [server.issuer]
  if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return undefined
  const { exp, iat, jti } = claims
  if (typeof exp !== 'number' || exp > now + MAX_ASSERTION_LIFETIME + ASSERTION_LEEWAY) return undefined
  if (iat !== undefined && (typeof iat !== 'number' || iat > now + ASSERTION_LEEWAY)) return undefined
  if (typeof jti !== 'string' || jti === '') return undefined
  // Kept past `exp` by the leeway: until then a replay would still pass the time checks above.
  const fresh = await server.replayStore.consume(await usedKey(clientId, jti), exp + ASSERTION_LEEWAY)
  return fresh ? client : undefined
}
