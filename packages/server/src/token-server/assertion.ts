/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2 and §3, RFC 7521 §4.2): the client signs
 * a short-lived JWT about itself with a private key whose public half it registered (`jwks`).
 *
 * Order matters. The signature is verified BEFORE the `jti` is recorded as used: recording first
 * would let anyone who sees (or guesses) an assertion's `jti` burn it with an unsigned copy and so
 * refuse the real client. The lifetime is bounded so that the single-use record of a `jti` is too.
 */
import { createTokenVerifier, type JSONWebKeySet, type TokenVerifier } from '@org/auth-core'
import { decodeJwt } from 'jose'
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
  const native = nativeCrypto()
  try {
    // Natively where lent: this read precedes the verification, which decodes the JWT anyway.
    let payload: unknown
    if (native === null) payload = decodeJwt(assertion)
    else {
      const parts = assertion.split('.')
      if (parts.length !== 3) return undefined
      payload = JSON.parse(native.base64urlText(parts[1] as string))
    }
    const sub = (payload as { sub?: unknown } | null)?.sub
    return typeof sub === 'string' && sub !== '' ? sub : undefined
  } catch {
    return undefined
  }
}

// A verifier per client and JWKS (a client that rotates its keys gets a new one), made by the
// core, which imports each key once and checks signatures through `node:crypto` where the runtime
// lends it (Web Crypto elsewhere): for EdDSA about 100 µs of CPU here instead of 160 on Web Crypto.
const MAX_VERIFIERS = 1000
const verifiersOf = new WeakMap<ResolvedTokenServer, Map<string, TokenVerifier>>()
// The same record object (the registry's cache hands one out for its period) skips serialising it.
const byObject = new WeakMap<ResolvedTokenServer, WeakMap<JSONWebKeySet, TokenVerifier>>()

function assertionVerifier(
  server: ResolvedTokenServer,
  clientId: string,
  jwks: JSONWebKeySet,
): TokenVerifier {
  let known = byObject.get(server)
  if (known === undefined) {
    known = new WeakMap()
    byObject.set(server, known)
  }
  const same = known.get(jwks)
  if (same !== undefined && same.issuer === clientId) return same
  let verifiers = verifiersOf.get(server)
  if (verifiers === undefined) {
    verifiers = new Map()
    verifiersOf.set(server, verifiers)
  }
  const id = `${clientId}\u0000${JSON.stringify(jwks)}`
  let verifier = verifiers.get(id)
  if (verifier === undefined) {
    if (verifiers.size >= MAX_VERIFIERS) verifiers.delete(verifiers.keys().next().value as string)
    // iss = the client (RFC 7523 §3 item 1); aud is narrowed below; exp and jti required; any
    // `typ` (RFC 7523 names none); algorithms from the allow-list only (never `none` or HS*).
    verifier = createTokenVerifier({
      issuer: clientId,
      audience: [server.issuer, `${server.issuer}/token`],
      jwks,
      algorithms: [...ASSERTION_ALGORITHMS],
      tokenType: 'any',
      requiredClaims: ['exp', 'jti'],
      leeway: ASSERTION_LEEWAY,
      // Each assertion is single-use: nothing to gain from remembering one.
      cache: false,
      // A bad assertion is the client's problem, answered invalid_client; nothing to log.
      onWarning: false,
      now: server.now,
    })
    verifiers.set(id, verifier)
  }
  known.set(jwks, verifier)
  return verifier
}

/** The `OneTimeStore` key of a used `jti`: hashed (the store may be read by others), per client. */
async function usedKey(clientId: string, jti: string): Promise<string> {
  // The core's key shape, `org-auth:<purpose>:<SHA-256>`; the NUL keeps id and jti apart.
  const input = `${clientId}\u0000${jti}`
  const native = nativeCrypto()
  const digest =
    native === null
      ? btoa(
          String.fromCharCode(
            ...new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(input))),
          ),
        )
      : native.sha256Base64(input)
  return `org-auth:client-assertion:${digest}`
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
    // The core selects the key by `kid` when present (else tries each key usable with the `alg`),
    // and checks iss, aud (one of the two below), exp, nbf and iat with the leeway.
    claims = await assertionVerifier(server, clientId, client.jwks as JSONWebKeySet).verify(assertion)
  } catch {
    return undefined
  }
  // RFC 7523 §3 item 2: the subject is the client itself.
  if (claims.sub !== clientId) return undefined
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
